"""stack_audit: every rule on realistic resource descriptions, and the policy verdict."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _audit as audit

BLOCK_ALL = dict(BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True)
TLS_ONLY = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]
}
ENC = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]


def _rules(findings):
    return sorted((f["rule"], f["severity"]) for f in findings)


def test_secure_bucket_has_no_findings():
    bucket = dict(name="site", public_access_block=BLOCK_ALL, encryption=ENC, policy=TLS_ONLY, website=False)
    assert audit.audit_buckets([bucket], "cloudfront") == []


def test_insecure_bucket():
    bucket = dict(name="site", public_access_block=None, encryption=None, policy=None, website=False)
    assert _rules(audit.audit_buckets([bucket], "cloudfront")) == [
        ("S3-001", "high"),
        ("S3-002", "high"),
        ("S3-003", "medium"),
    ]


def test_public_website_bucket_is_the_flagged_dev_exception():
    bucket = dict(name="site", public_access_block={}, encryption=ENC, policy=TLS_ONLY, website=True)
    assert _rules(audit.audit_buckets([bucket], "s3_website")) == [("S3-001", "info")]
    assert _rules(audit.audit_buckets([bucket], "cloudfront")) == [("S3-001", "high")]


@pytest.mark.parametrize(
    ("condition", "ok"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, True),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, True),
        ({"BoolIfExists": {"aws:SecureTransport": False}}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({}, False),
    ],
)
def test_tls_only_policy_spellings(condition, ok):
    policy = {"Statement": {"Effect": "Deny", "Condition": condition}}
    assert audit._denies_insecure_transport(policy) is ok


def _dist(**kw):
    base = dict(
        id="E1",
        origins=[{"id": "s3", "oac_id": "OAC1", "s3": True}],
        viewer_protocol_policies=["redirect-to-https"],
        min_protocol_version="TLSv1.2_2021",
        aliases=["www.example.com"],
        web_acl_id="arn:aws:wafv2:us-east-1:1:global/webacl/x/1",
    )
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("dist", "waf", "rules"),
    [
        (_dist(), True, []),
        (_dist(origins=[{"id": "s3", "oac_id": "", "s3": True}]), True, [("CF-001", "high")]),
        (_dist(origins=[{"id": "web", "oac_id": "", "s3": False}]), True, []),
        (_dist(viewer_protocol_policies=["redirect-to-https", "allow-all"]), True, [("CF-002", "high")]),
        (_dist(min_protocol_version="TLSv1"), True, [("CF-003", "medium")]),
        (_dist(min_protocol_version="TLSv1", aliases=[]), True, []),
        (_dist(web_acl_id=""), True, [("CF-004", "high")]),
        (_dist(web_acl_id=""), False, []),
    ],
)
def test_distributions(dist, waf, rules):
    assert _rules(audit.audit_distributions([dist], waf)) == rules


def _sg(*permissions):
    return {"GroupId": "sg-1", "IpPermissions": list(permissions)}


def _perm(proto, low, high, cidr="0.0.0.0/0", v6=None):
    p = {"IpProtocol": proto, "FromPort": low, "ToPort": high, "IpRanges": [{"CidrIp": cidr}] if cidr else []}
    if v6:
        p["Ipv6Ranges"] = [{"CidrIpv6": v6}]
    return p


@pytest.mark.parametrize(
    ("group", "message"),
    [
        (_sg(_perm("tcp", 443, 443), _perm("tcp", 80, 80)), None),
        (_sg(_perm("tcp", 22, 22)), "open to the internet on 22 (SSH)"),
        (_sg(_perm("tcp", 22, 22, cidr="10.0.0.0/16")), None),
        (_sg(_perm("tcp", 27017, 27017, cidr=None, v6="::/0")), "open to the internet on 27017 (MongoDB)"),
        (_sg(_perm("tcp", 27000, 28000)), "open to the internet on 27017 (MongoDB), 27018 (MongoDB), 27019 (MongoDB)"),
        (_sg({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}), "open to the internet on 22 (SSH)"),
        (_sg(_perm("udp", 22, 22)), None),
    ],
)
def test_security_groups(group, message):
    found = audit.audit_security_groups([group])
    if message is None:
        assert found == []
    else:
        assert found[0]["severity"] == "critical" and found[0]["message"].startswith(message)


def test_instances_volumes_and_templates():
    instances = [
        {"InstanceId": "i-good", "MetadataOptions": {"HttpTokens": "required"}},
        {"InstanceId": "i-bad", "MetadataOptions": {"HttpTokens": "optional"}},
    ]
    volumes = [{"VolumeId": "vol-1", "Encrypted": True}, {"VolumeId": "vol-2", "Encrypted": False}]
    found = audit.audit_instances(instances, volumes)
    assert [(f["rule"], f["resource"]) for f in found] == [("EC2-002", "i-bad"), ("EC2-003", "vol-2")]
    versions = [
        {
            "LaunchTemplateName": "app",
            "VersionNumber": 3,
            "LaunchTemplateData": {
                "MetadataOptions": {"HttpTokens": "optional"},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False}}],
            },
        }
    ]
    assert [(f["rule"], f["resource"]) for f in audit.audit_launch_templates(versions)] == [
        ("EC2-004", "app v3"),
        ("EC2-005", "app v3"),
    ]


def test_load_balancers():
    redirect = {
        "Protocol": "HTTP",
        "Port": 80,
        "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS"}}],
    }
    https = {"Protocol": "HTTPS", "Port": 443, "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
    good = {"name": "alb", "listeners": [redirect, https], "web_acl_arn": "arn:acl"}
    assert audit.audit_load_balancers([good], True) == []
    bad = {
        "name": "alb",
        "listeners": [
            {"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "forward"}]},
            dict(https, SslPolicy="ELBSecurityPolicy-2016-08"),
        ],
        "web_acl_arn": None,
    }
    assert _rules(audit.audit_load_balancers([bad], True)) == [
        ("ALB-001", "high"),
        ("ALB-002", "medium"),
        ("ALB-003", "high"),
    ]


def test_logs_and_monitoring():
    logs = [{"logGroupName": "/a"}, {"logGroupName": "/b", "retentionInDays": 30}]
    assert [f["resource"] for f in audit.audit_log_groups(logs)] == ["/a"]
    assert _rules(audit.audit_monitoring([], True, "budget", False)) == [("MON-001", "medium"), ("MON-002", "medium")]
    assert audit.audit_monitoring(["x-cpu"], True, "budget", True) == []
    assert _rules(audit.audit_topic("t", None)) == [("MON-004", "medium")]
    assert _rules(audit.audit_topic("t", [])) == [("MON-005", "low")]


@pytest.mark.parametrize(
    ("severities", "policy", "threshold", "status"),
    [
        ([], "strict", "high", "ok"),
        (["medium"], "strict", "high", "ok"),
        (["medium"], "strict", "medium", "fail"),
        (["critical"], "warning", "high", "warn"),
        (["critical"], "informational", "high", "ok"),
        (["high", "info"], "strict", "high", "fail"),
    ],
)
def test_summarise(severities, policy, threshold, status):
    findings = [audit.finding("X", s, "r", "m", "f") for s in severities]
    summary, got = audit.summarise(findings, policy, threshold)
    assert got == status
    assert sum(summary["counts"].values()) == len(severities)
