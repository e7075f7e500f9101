"""elbv2_web_alb planning: listeners, redirect, origin-verify rule, attributes, target group."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _elbv2_alb as alb

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/1"


def params(**kw):
    p = {
        "certificate_arn": None,
        "ssl_policy": alb.DEFAULT_SSL_POLICY,
        "origin_verify_header": None,
        "deletion_protection": False,
        "drop_invalid_header_fields": True,
        "idle_timeout": 60,
        "access_logs": None,
    }
    p.update(kw)
    return p


def described(port, protocol, actions, **extra):
    """A listener as DescribeListeners returns it (AWS adds ForwardConfig and Order)."""
    out = {"ListenerArn": f"arn:listener/{port}", "Port": port, "Protocol": protocol, "DefaultActions": actions}
    out.update(extra)
    return out


def test_https_listener_uses_modern_tls_and_http_redirects_301():
    listeners = alb.desired_listeners(params(certificate_arn=CERT), TG)
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["Certificates"] == [{"CertificateArn": CERT}]
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": TG}]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443"


def test_without_certificate_http_only_and_origin_header_gates_forwarding():
    header = {"name": "X-Origin-Verify", "value": "s3cret"}
    listeners = alb.desired_listeners(params(origin_verify_header=header), TG)
    assert sorted(listeners) == [80]
    assert listeners[80]["DefaultActions"][0]["Type"] == "fixed-response"
    assert listeners[80]["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "403"
    rules = alb.desired_rules(params(origin_verify_header=header), TG)
    assert rules[0]["Priority"] == 1
    assert rules[0]["Conditions"][0]["HttpHeaderConfig"] == {"HttpHeaderName": "X-Origin-Verify", "Values": ["s3cret"]}
    assert rules[0]["Actions"] == [{"Type": "forward", "TargetGroupArn": TG}]


def test_no_header_no_rules():
    assert alb.desired_rules(params(), TG) == []


def test_described_listeners_matching_desired_need_nothing():
    desired = alb.desired_listeners(params(certificate_arn=CERT), TG)
    current = [
        described(
            443,
            "HTTPS",
            [
                {
                    "Type": "forward",
                    "TargetGroupArn": TG,
                    "Order": 1,
                    "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]},
                }
            ],
            SslPolicy=alb.DEFAULT_SSL_POLICY,
            Certificates=[{"CertificateArn": CERT}],
        ),
        described(80, "HTTP", [dict(desired[80]["DefaultActions"][0], Order=1)]),
    ]
    assert alb.plan_listeners(current, desired) == {"create": [], "modify": [], "delete": []}


@pytest.mark.parametrize(
    "change, expect",
    [
        ({"SslPolicy": "ELBSecurityPolicy-2016-08"}, "modify"),
        ({"Certificates": [{"CertificateArn": "arn:other"}]}, "modify"),
        ({}, None),
    ],
)
def test_https_listener_drift_is_modified(change, expect):
    desired = alb.desired_listeners(params(certificate_arn=CERT), TG)
    https = dict(desired[443], ListenerArn="arn:listener/443")
    https.update(change)
    plan = alb.plan_listeners([https, dict(desired[80], ListenerArn="arn:listener/80")], desired)
    if expect:
        assert [arn for arn, _ in plan["modify"]] == ["arn:listener/443"]
    else:
        assert plan == {"create": [], "modify": [], "delete": []}


def test_switching_to_http_only_deletes_443_and_modifies_80():
    with_cert = alb.desired_listeners(params(certificate_arn=CERT), TG)
    current = [dict(spec, ListenerArn=f"arn:listener/{port}") for port, spec in with_cert.items()]
    header = {"name": "X-Origin-Verify", "value": "v"}
    plan = alb.plan_listeners(current, alb.desired_listeners(params(origin_verify_header=header), TG))
    assert plan["delete"] == ["arn:listener/443"]
    assert [arn for arn, _ in plan["modify"]] == ["arn:listener/80"]
    assert plan["create"] == []


def test_missing_listeners_are_created():
    plan = alb.plan_listeners([], alb.desired_listeners(params(certificate_arn=CERT), TG))
    assert [s["Port"] for s in plan["create"]] == [80, 443]


def test_rules_same_header_described_with_string_priority_need_nothing():
    header = {"name": "X-Origin-Verify", "value": "v"}
    desired = alb.desired_rules(params(origin_verify_header=header), TG)
    current = [
        {"RuleArn": "arn:rule/default", "Priority": "default", "IsDefault": True, "Conditions": [], "Actions": []},
        {
            "RuleArn": "arn:rule/1",
            "Priority": "1",
            "IsDefault": False,
            "Conditions": [
                {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "x-origin-verify", "Values": ["v"]}}
            ],
            "Actions": [{"Type": "forward", "TargetGroupArn": TG, "Order": 1}],
        },
    ]
    assert alb.plan_rules(current, desired) == ([], [])


def test_rotated_secret_replaces_the_rule():
    old = alb.desired_rules(params(origin_verify_header={"name": "X-Origin-Verify", "value": "old"}), TG)
    new = alb.desired_rules(params(origin_verify_header={"name": "X-Origin-Verify", "value": "new"}), TG)
    current = [dict(old[0], RuleArn="arn:rule/1", Priority="1")]
    delete, create = alb.plan_rules(current, new)
    assert delete == ["arn:rule/1"]
    assert create == new


def test_rules_removed_when_https_takes_over():
    current = [dict(alb.desired_rules(params(origin_verify_header={"name": "H", "value": "v"}), TG)[0], RuleArn="r")]
    assert alb.plan_rules(current, []) == (["r"], [])


def test_mask_hides_the_secret():
    rule = alb.desired_rules(params(origin_verify_header={"name": "H", "value": "s3cret"}), TG)[0]
    masked = alb.mask_listener(rule)
    assert "s3cret" not in repr(masked)
    assert rule["Conditions"][0]["HttpHeaderConfig"]["Values"] == ["s3cret"]


@pytest.mark.parametrize(
    "current, kw, expect",
    [
        ({}, {}, {"routing.http.drop_invalid_header_fields.enabled": "true"}),
        (
            {"routing.http.drop_invalid_header_fields.enabled": "true", "idle_timeout.timeout_seconds": "60"},
            {},
            {},
        ),
        (
            {"routing.http.drop_invalid_header_fields.enabled": "true"},
            {"deletion_protection": True},
            {"deletion_protection.enabled": "true"},
        ),
        (
            {"routing.http.drop_invalid_header_fields.enabled": "true"},
            {"access_logs": {"bucket": "logs", "prefix": "alb/prod"}},
            {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs", "access_logs.s3.prefix": "alb/prod"},
        ),
    ],
)
def test_attribute_changes(current, kw, expect):
    desired = alb.desired_lb_attributes(params(**kw))
    assert alb.attribute_changes(current, desired, alb.LB_ATTRIBUTE_DEFAULTS) == expect


TG_OPTS = {
    "port": 80,
    "protocol": "HTTP",
    "health_check_path": "/api/products",
    "health_check_interval": 30,
    "health_check_timeout": 5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 3,
    "matcher": "200",
}


def test_target_group_health_check_on_api_products():
    desired = alb.desired_target_group(TG_OPTS)
    assert desired["HealthCheckPath"] == "/api/products"
    assert desired["Port"] == 80
    assert desired["Matcher"] == {"HttpCode": "200"}


@pytest.mark.parametrize(
    "drift, changes, immutable",
    [
        ({}, {}, []),
        ({"HealthCheckPath": "/"}, {"HealthCheckPath": "/api/products"}, []),
        ({"Port": 8080}, {}, ["Port"]),
    ],
)
def test_target_group_changes(drift, changes, immutable):
    desired = alb.desired_target_group(TG_OPTS)
    current = dict(desired, TargetGroupArn=TG, **drift)
    assert alb.target_group_changes(current, desired) == (changes, immutable)
