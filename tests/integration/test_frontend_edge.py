"""Frontend edge (S3, CloudFront + OAC, security headers, WAF, ACM, Route 53) for dev, staging and prod.

Each environment: --check on an empty account creates nothing, converge, assert the emulator's state,
converge again (changed == 0), --check (changed == 0), tear down (nothing tagged left).
Runs site.yml limited to the `frontend` tag (preflight always runs); the backend roles have their own tests.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from webstack_test import ROOT, run_playbook, tagged_resources

pytestmark = pytest.mark.integration

DOMAIN = "illustra-demo.example.com"
EXAMPLE_BUILD = ROOT / "examples" / "frontend" / "build"
SPA_REWRITE = ROOT / "roles" / "cloudfront" / "files" / "spa_rewrite.js"


def site(env, check=False):
    return run_playbook(
        "playbooks/site.yml",
        inventory=f"inventories/{env}",
        tags="frontend",
        check=check,
        extra_vars={"webstack_confirm": env},
    )


def web_acls(scope):
    region = "us-east-1"
    return boto3.client("wafv2", region_name=region).list_web_acls(Scope=scope)["WebACLs"]


def distributions():
    return boto3.client("cloudfront").list_distributions()["DistributionList"].get("Items") or []


def buckets():
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


def assert_private_bucket(s3, bucket):
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert pab == {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # Reported by S3 for new buckets since 2026 (failure 9: the rerun below must still be changed=0).
    assert rules[0]["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert any("NoncurrentVersionExpiration" in r and r["Status"] == "Enabled" for r in lifecycle)
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_website(Bucket=bucket)


def bucket_policy(s3, bucket):
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    return {s["Sid"]: s for s in statements}


def website_get(endpoint, host, path="/", method="GET"):
    """An anonymous plain-HTTP request to an S3 website endpoint (the emulator answers for its host name)."""
    request = urllib.request.Request(f"{endpoint}{path}", headers={"Host": host}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def published(run, task):
    """A fact a role published on whichever lane ran it."""
    for t in reversed(run.tasks):
        if t["name"].split(" : ")[-1] == task:
            for result in t["hosts"].values():
                if result.get("ansible_facts"):
                    return result["ansible_facts"]
    raise KeyError(task)


def assert_dev_site_is_served(run, s3, endpoint):
    """Failure 1: dev's website answers an anonymous browser over plain HTTP (the website endpoint is HTTP only)."""
    bucket = "illustra-dev-frontend"
    website = published(run, "Publish the bucket for later roles")["frontend_s3__output"]["website_endpoint"]
    assert website == f"{bucket}.s3-website-us-east-1.amazonaws.com"
    index = (EXAMPLE_BUILD / "index.html").read_bytes()
    s3.put_object(Bucket=bucket, Key="index.html", Body=index, ContentType="text/html; charset=utf-8")
    assert website_get(endpoint, website) == (200, index)
    # A client-side route is no object: without s3:ListBucket the endpoint answers 403, with the error
    # document (the app) as body, so the app still loads; listing stays private.
    assert website_get(endpoint, website, "/projects/42") == (403, index)
    # Only GET and HEAD are served, and writes over plain HTTP stay denied by the TLS statement.
    assert website_get(endpoint, website, "/index.html", method="PUT")[0] == 405


def assert_dev(s3):
    bucket = "illustra-dev-frontend"
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    # The flagged exception: only the two flags that forbid a public policy are lifted.
    assert pab == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    assert s3.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    policy = bucket_policy(s3, bucket)
    assert policy["PublicReadGetObject"]["Action"] == "s3:GetObject"
    assert policy["PublicReadGetObject"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    # Every action but s3:GetObject (the website endpoint's only one, over plain HTTP) still needs TLS.
    tls = policy["DenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["NotAction"] == "s3:GetObject" and "Action" not in tls
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert distributions() == []
    assert web_acls("CLOUDFRONT") == [] and web_acls("REGIONAL") == []


def assert_waf(env, expected_action):
    acls = {scope: web_acls(scope) for scope in ("CLOUDFRONT", "REGIONAL")}
    assert [a["Name"] for a in acls["CLOUDFRONT"]] == [f"illustra-{env}-cloudfront"]
    assert [a["Name"] for a in acls["REGIONAL"]] == [f"illustra-{env}-regional"]
    waf = boto3.client("wafv2", region_name="us-east-1")
    acl = acls["CLOUDFRONT"][0]
    full = waf.get_web_acl(Name=acl["Name"], Scope="CLOUDFRONT", Id=acl["Id"])["WebACL"]
    assert full["DefaultAction"] == {"Allow": {}}
    groups = [
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in full["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    ]
    assert groups == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    rate = [r for r in full["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 1 and rate[0]["Action"] == {expected_action: {}}
    # The CloudFront ACL sees each viewer's own address.
    assert rate[0]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "ScopeDownStatement" not in rate[0]["Statement"]["RateBasedStatement"]
    # Failure 11: behind CloudFront the ALB's ACL counts the viewer's forwarded address, not the edge's.
    regional = acls["REGIONAL"][0]
    regional = waf.get_web_acl(Name=regional["Name"], Scope="REGIONAL", Id=regional["Id"])["WebACL"]
    rate = {
        r["Name"]: r["Statement"]["RateBasedStatement"]
        for r in regional["Rules"]
        if "RateBasedStatement" in r["Statement"]
    }
    assert set(rate) == {"rate-limit-per-forwarded-ip", "rate-limit-per-ip"}
    assert rate["rate-limit-per-forwarded-ip"]["AggregateKeyType"] == "FORWARDED_IP"
    assert rate["rate-limit-per-forwarded-ip"]["ForwardedIPConfig"] == {
        "HeaderName": "X-Forwarded-For",
        "FallbackBehavior": "MATCH",
    }
    direct = rate["rate-limit-per-ip"]
    assert direct["AggregateKeyType"] == "IP"
    size = direct["ScopeDownStatement"]["NotStatement"]["Statement"]["SizeConstraintStatement"]
    assert size["FieldToMatch"] == {"SingleHeader": {"Name": "x-forwarded-for"}}
    return full["ARN"]


def assert_distribution(env, s3, web_acl_arn):
    bucket = f"illustra-{env}-frontend"
    assert_private_bucket(s3, bucket)
    cf = boto3.client("cloudfront")
    [summary] = distributions()
    tags = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=summary["ARN"])["Tags"]["Items"]}
    assert tags["Name"] == f"illustra-{env}-frontend"
    assert tags["ManagedBy"] == "illustra.webstack" and tags["Environment"] == env
    config = cf.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    [origin] = [o for o in config["Origins"]["Items"] if o["Id"].startswith("s3-")]
    assert origin["DomainName"] == f"{bucket}.s3.us-east-1.amazonaws.com"
    oacs = cf.list_origin_access_controls()["OriginAccessControlList"]["Items"]
    [oac] = [o for o in oacs if o["Id"] == origin["OriginAccessControlId"]]
    assert oac["SigningBehavior"] == "always" and oac["OriginAccessControlOriginType"] == "s3"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    assert config["HttpVersion"] == "http2and3" and config["IsIPV6Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    # Failure 3: no error is turned into the app (a WAF block stays 403, an API error stays JSON); the
    # single-page app is routed by the published viewer-request function instead.
    assert config["CustomErrorResponses"]["Quantity"] == 0
    [association] = behavior["FunctionAssociations"]["Items"]
    assert association["EventType"] == "viewer-request"
    name = f"illustra-{env}-frontend-viewer-request"
    live = cf.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]
    assert association["FunctionARN"] == live["FunctionMetadata"]["FunctionARN"]
    assert live["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert cf.get_function(Name=name, Stage="LIVE")["FunctionCode"].read() == SPA_REWRITE.read_bytes()
    for api in config["CacheBehaviors"].get("Items") or []:
        assert api["FunctionAssociations"]["Quantity"] == 0
    assert config["WebACLId"] == web_acl_arn
    headers = cf.get_response_headers_policy(Id=behavior["ResponseHeadersPolicyId"])["ResponseHeadersPolicy"]
    security = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    policy = bucket_policy(s3, bucket)
    assert "PublicReadGetObject" not in policy
    oac_statement = policy["AllowCloudFrontOACRead"]
    assert oac_statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert oac_statement["Action"] == "s3:GetObject"
    assert oac_statement["Condition"] == {"StringEquals": {"AWS:SourceArn": summary["ARN"]}}
    assert policy["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    return summary, config


def assert_access_logs(env, s3, summary):
    """prod keeps access logs (on by default there); staging has them as an option, off by default."""
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket = f"illustra-{env}-logs-{account}"
    website = f"illustra-{env}-frontend"
    waf = boto3.client("wafv2", region_name="us-east-1")
    logs = boto3.client("logs", region_name="us-east-1")
    acls = {scope: web_acls(scope)[0]["ARN"] for scope in ("CLOUDFRONT", "REGIONAL")}
    if env != "prod":
        assert bucket not in buckets()
        assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=website)
        for arn in acls.values():
            with pytest.raises(waf.exceptions.WAFNonexistentItemException):
                waf.get_logging_configuration(ResourceArn=arn)
        assert logs.describe_delivery_sources()["deliverySources"] == []
        return
    # The log bucket: private, owner-enforced (no ACLs), SSE-S3 (what log delivery accepts), logs expiring.
    assert_private_bucket(s3, bucket)
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["Expiration"]["Days"] for r in lifecycle if "Expiration" in r] == [90]
    policy = bucket_policy(s3, bucket)
    assert policy["S3ServerAccessLogsPolicy"]["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert policy["S3ServerAccessLogsPolicy"]["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    # us-east-1 predates August 2022: ELB's account there writes ALB logs (the service principal is named too).
    assert policy["ELBAccessLogsPolicy"]["Principal"] == {
        "AWS": "arn:aws:iam::127311923021:root",
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com",
    }
    assert policy["AWSLogDeliveryWrite"]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    # The website bucket's server access logs go there.
    assert s3.get_bucket_logging(Bucket=website)["LoggingEnabled"] == {
        "TargetBucket": bucket,
        "TargetPrefix": f"s3/{website}/",
    }
    # Both web ACLs log to their aws-waf-logs-* log group, in the ACL's Region.
    for scope, arn in acls.items():
        group = f"aws-waf-logs-illustra-{env}-{scope.lower()}"
        destinations = waf.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]["LogDestinationConfigs"]
        assert destinations == [f"arn:aws:logs:us-east-1:{account}:log-group:{group}"]
        [found] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert found["retentionInDays"] == 90
    # CloudFront's standard logs (v2): a delivery source for the distribution, delivered into the bucket.
    source = logs.get_delivery_source(name=f"illustra-{env}-frontend-access-logs")["deliverySource"]
    assert source["resourceArns"] == [summary["ARN"]] and source["logType"] == "ACCESS_LOGS"
    destination = logs.get_delivery_destination(name=f"illustra-{env}-frontend-access-logs-s3")["deliveryDestination"]
    assert destination["deliveryDestinationConfiguration"]["destinationResourceArn"] == f"arn:aws:s3:::{bucket}"
    deliveries = logs.describe_deliveries()["deliveries"]
    assert [(d["deliverySourceName"], d["deliveryDestinationArn"]) for d in deliveries] == [
        (source["name"], destination["arn"])
    ]


def assert_prod_domain(summary, config):
    acm = boto3.client("acm", region_name="us-east-1")
    [cert] = acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    described = acm.describe_certificate(CertificateArn=cert["CertificateArn"])["Certificate"]
    assert set(described["SubjectAlternativeNames"]) == {DOMAIN, f"*.{DOMAIN}"}
    assert config["Aliases"]["Items"] == [DOMAIN, f"www.{DOMAIN}"]
    viewer = config["ViewerCertificate"]
    assert viewer["ACMCertificateArn"] == cert["CertificateArn"]
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021" and viewer["SSLSupportMethod"] == "sni-only"
    r53 = boto3.client("route53")
    [zone] = r53.list_hosted_zones_by_name(DNSName=DOMAIN)["HostedZones"][:1]
    assert zone["Name"] == f"{DOMAIN}."
    records = {
        (r["Name"], r["Type"]): r for r in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    }
    for name in (f"{DOMAIN}.", f"www.{DOMAIN}."):
        for kind in ("A", "AAAA"):
            alias = records[(name, kind)]["AliasTarget"]
            assert alias["DNSName"].rstrip(".") == summary["DomainName"]
            assert alias["HostedZoneId"] == "Z2FDTNDATAQYW2"
    validation = described["DomainValidationOptions"][0]["ResourceRecord"]
    assert records[(validation["Name"], "CNAME")]["ResourceRecords"] == [{"Value": validation["Value"]}]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_frontend_edge(clean_emulator, env):
    s3 = boto3.client("s3")

    planned = site(env, check=True)
    assert planned.rc == 0, planned.summary()
    assert buckets() == [] and distributions() == [] and web_acls("CLOUDFRONT") == []

    first = site(env)
    assert first.rc == 0, first.summary()
    assert first.changed > 0
    if env == "dev":
        assert_dev_site_is_served(first, s3, clean_emulator)
        assert_dev(s3)
    else:
        web_acl_arn = assert_waf(env, "Block")
        summary, config = assert_distribution(env, s3, web_acl_arn)
        assert_access_logs(env, s3, summary)
        if env == "prod":
            assert_prod_domain(summary, config)
        else:
            assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True
            assert config["Aliases"]["Quantity"] == 0

    again = site(env)
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.changed_tasks()

    check = site(env, check=True)
    assert check.rc == 0, check.summary()
    assert check.changed == 0, check.changed_tasks()

    down = run_playbook(
        "playbooks/teardown_frontend.yml", inventory=f"inventories/{env}", extra_vars={"webstack_teardown_confirm": env}
    )
    assert down.rc == 0, down.summary()
    assert tagged_resources(environment=env) == []
    assert buckets() == [] and distributions() == []
    assert web_acls("CLOUDFRONT") == [] and web_acls("REGIONAL") == []
    assert boto3.client("route53").list_hosted_zones()["HostedZones"] == []
    assert boto3.client("acm", region_name="us-east-1").list_certificates()["CertificateSummaryList"] == []
    cloudfront = boto3.client("cloudfront")
    logs = boto3.client("logs", region_name="us-east-1")
    assert logs.describe_log_groups(logGroupNamePrefix="aws-waf-logs-")["logGroups"] == []
    assert logs.describe_delivery_sources()["deliverySources"] == []
    assert logs.describe_deliveries()["deliveries"] == []
    assert cloudfront.list_functions()["FunctionList"].get("Items", []) == []
    assert cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"].get("Items", []) == []


ASSOCIATE_PLAY = """
- name: Associate the regional web ACL with an ALB
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Build the regional web ACL
      ansible.builtin.include_role:
        name: illustra.webstack.waf
      vars:
        waf_cloudfront_enabled: false
        waf_regional_enabled: true
    - name: Associate it with the ALB
      ansible.builtin.include_role:
        name: illustra.webstack.waf
        tasks_from: associate
      vars:
        waf_association_resource_arn: "{{ alb_arn }}"
        waf_association_state: "{{ association_state }}"
"""


def _alb():
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    elb = boto3.client("elbv2", region_name="us-east-1")
    return elb.create_load_balancer(Name="edge-test", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]


def test_regional_acl_association_is_idempotent(clean_emulator, tmp_path):
    alb_arn = _alb()
    play = tmp_path / "associate.yml"
    play.write_text(ASSOCIATE_PLAY)

    def run(state, check=False):
        return run_playbook(
            str(play),
            inventory="inventories/staging",
            check=check,
            extra_vars={"alb_arn": alb_arn, "association_state": state},
        )

    waf = boto3.client("wafv2", region_name="us-east-1")
    first = run("present")
    assert first.rc == 0, first.summary()
    assert "illustra.webstack.waf : Associate the regional web ACL with the resource" in first.changed_tasks()
    [acl] = web_acls("REGIONAL")
    assert waf.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["ARN"] == acl["ARN"]
    again = run("present")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    planned = run("absent", check=True)
    assert planned.rc == 0 and planned.changed == 1, planned.summary()
    assert waf.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["ARN"] == acl["ARN"]
    removed = run("absent")
    assert removed.rc == 0 and removed.changed == 1, removed.summary()
    assert "WebACL" not in waf.get_web_acl_for_resource(ResourceArn=alb_arn)
