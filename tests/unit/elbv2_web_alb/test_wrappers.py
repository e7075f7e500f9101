"""elbv2_web_alb against botocore's Stubber: request shapes, retries, errors, and no write on a re-run."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _elbv2_alb as alb
from ansible_collections.illustra.webstack.plugins.modules import elbv2_web_alb as mod
from botocore.stub import ANY, Stubber

LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/illustra-prod/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/illustra-prod-web/73e2d6bc24d8a067"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/illustra-prod/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def module_params(**kw):
    p = {
        "name": "illustra-prod",
        "state": "present",
        "vpc_id": "vpc-1",
        "subnets": ["subnet-a", "subnet-b"],
        "security_groups": ["sg-alb"],
        "scheme": "internet-facing",
        "certificate_arn": CERT,
        "ssl_policy": alb.DEFAULT_SSL_POLICY,
        "origin_verify_header": None,
        "deletion_protection": True,
        "force_delete": False,
        "drop_invalid_header_fields": True,
        "idle_timeout": 60,
        "access_logs": {"bucket": None, "prefix": ""},
        "web_acl_arn": ACL,
        "target_group": {
            "name": "illustra-prod-web",
            "port": 80,
            "protocol": "HTTP",
            "health_check_path": "/api/products",
            "health_check_interval": 30,
            "health_check_timeout": 5,
            "healthy_threshold": 2,
            "unhealthy_threshold": 3,
            "matcher": "200",
            "deregistration_delay": 30,
        },
        "tags": {"Project": "illustra", "Environment": "prod"},
        "purge_tags": True,
    }
    p.update(kw)
    return p


def lb_description():
    return {
        "LoadBalancerArn": LB,
        "DNSName": "illustra-prod-1234567890.us-east-1.elb.amazonaws.com",
        "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
        "LoadBalancerName": "illustra-prod",
        "Scheme": "internet-facing",
        "VpcId": "vpc-1",
        "State": {"Code": "active"},
        "Type": "application",
        "AvailabilityZones": [
            {"ZoneName": "us-east-1a", "SubnetId": "subnet-a"},
            {"ZoneName": "us-east-1b", "SubnetId": "subnet-b"},
        ],
        "SecurityGroups": ["sg-alb"],
        "IpAddressType": "ipv4",
    }


def tg_description():
    return {
        "TargetGroupArn": TG,
        "TargetGroupName": "illustra-prod-web",
        "Protocol": "HTTP",
        "Port": 80,
        "VpcId": "vpc-1",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "HealthCheckPath": "/api/products",
        "Matcher": {"HttpCode": "200"},
        "LoadBalancerArns": [LB],
        "TargetType": "instance",
    }


def add_converged_reads(stub, waf_stub):
    tags = [{"Key": "Project", "Value": "illustra"}, {"Key": "Environment", "Value": "prod"}]
    stub.add_response("describe_load_balancers", {"LoadBalancers": [lb_description()]}, {"Names": ["illustra-prod"]})
    stub.add_response("describe_target_groups", {"TargetGroups": [tg_description()]}, {"Names": ["illustra-prod-web"]})
    stub.add_response(
        "describe_target_group_attributes",
        {"Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]},
        {"TargetGroupArn": TG},
    )
    stub.add_response("describe_tags", {"TagDescriptions": [{"ResourceArn": TG, "Tags": tags}]}, {"ResourceArns": [TG]})
    stub.add_response(
        "describe_load_balancer_attributes",
        {
            "Attributes": [
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "idle_timeout.timeout_seconds", "Value": "60"},
                {"Key": "access_logs.s3.enabled", "Value": "false"},
            ]
        },
        {"LoadBalancerArn": LB},
    )
    stub.add_response("describe_tags", {"TagDescriptions": [{"ResourceArn": LB, "Tags": tags}]}, {"ResourceArns": [LB]})
    forward = {
        "Type": "forward",
        "TargetGroupArn": TG,
        "Order": 1,
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]},
    }
    redirect = {
        "Type": "redirect",
        "Order": 1,
        "RedirectConfig": {
            "Protocol": "HTTPS",
            "Port": "443",
            "Host": "#{host}",
            "Path": "/#{path}",
            "Query": "#{query}",
            "StatusCode": "HTTP_301",
        },
    }
    stub.add_response(
        "describe_listeners",
        {
            "Listeners": [
                {
                    "ListenerArn": LB + "/l443",
                    "LoadBalancerArn": LB,
                    "Port": 443,
                    "Protocol": "HTTPS",
                    "SslPolicy": alb.DEFAULT_SSL_POLICY,
                    "Certificates": [{"CertificateArn": CERT}],
                    "DefaultActions": [forward],
                },
                {
                    "ListenerArn": LB + "/l80",
                    "LoadBalancerArn": LB,
                    "Port": 80,
                    "Protocol": "HTTP",
                    "DefaultActions": [redirect],
                },
            ]
        },
        {"LoadBalancerArn": LB},
    )
    stub.add_response(
        "describe_rules",
        {
            "Rules": [
                {"RuleArn": LB + "/r", "Priority": "default", "IsDefault": True, "Conditions": [], "Actions": [forward]}
            ]
        },
        {"ListenerArn": LB + "/l443"},
    )
    waf_stub.add_response(
        "get_web_acl_for_resource",
        {
            "WebACL": {
                "Name": "a",
                "Id": "1",
                "ARN": ACL,
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": "a",
                },
            }
        },
        {"ResourceArn": LB},
    )


def test_converged_alb_makes_no_write_call_and_never_touches_targets(fake_module):
    """A re-run reads a handful of times and writes nothing: no (de)register_targets, no modify."""
    elb, waf = client("elbv2"), client("wafv2")
    with Stubber(elb) as stub, Stubber(waf) as waf_stub:
        add_converged_reads(stub, waf_stub)
        result = mod.ensure_present(fake_module(module_params()), elb, waf)
        stub.assert_no_pending_responses()
        waf_stub.assert_no_pending_responses()
    assert result["changed"] is False, result["actions"]
    assert result["https_enabled"] is True
    assert result["target_group_arn"] == TG
    assert result["load_balancer"]["dns_name"].endswith("elb.amazonaws.com")


def test_converged_alb_in_check_mode_is_the_same(fake_module):
    elb, waf = client("elbv2"), client("wafv2")
    with Stubber(elb) as stub, Stubber(waf) as waf_stub:
        add_converged_reads(stub, waf_stub)
        result = mod.ensure_present(fake_module(module_params(), check_mode=True), elb, waf)
    assert result["changed"] is False


def test_web_acl_association_uses_the_wafv2_helper_and_retries_its_internal_error(fake_module):
    """The ALB had its own copy of the association, which did not retry WAFInternalErrorException (AWS: retry
    the request); it now uses _wafv2's, as wafv2_web_acl_association does."""
    other = ACL.replace("illustra-prod/", "illustra-other/")
    elb, waf = client("elbv2"), client("wafv2")
    with Stubber(elb) as stub, Stubber(waf) as waf_stub:
        add_converged_reads(stub, waf_stub)
        waf_stub.add_client_error("associate_web_acl", "WAFInternalErrorException", http_status_code=500)
        waf_stub.add_response("associate_web_acl", {}, {"WebACLArn": other, "ResourceArn": LB})
        result = mod.ensure_present(fake_module(module_params(web_acl_arn=other)), elb, waf)
        waf_stub.assert_no_pending_responses()
    assert result["actions"] == ["associate web ACL"]
    assert result["web_acl_arn"] == other
    assert result["diff"]["before"]["web_acl_arn"] == ACL


def test_check_mode_on_empty_account_plans_everything_and_writes_nothing(fake_module):
    elb, waf = client("elbv2"), client("wafv2")
    with Stubber(elb) as stub, Stubber(waf):
        stub.add_client_error("describe_load_balancers", "LoadBalancerNotFound", http_status_code=400)
        stub.add_client_error("describe_target_groups", "TargetGroupNotFound", http_status_code=400)
        params = module_params(vpc_id=None, subnets=[], security_groups=[])
        result = mod.ensure_present(fake_module(params, check_mode=True), elb, waf)
        stub.assert_no_pending_responses()
    assert result["changed"] is True
    assert result["actions"][:2] == ["create target group", "create load balancer"]
    assert "create listener 443" in result["actions"] and "associate web ACL" in result["actions"]


def test_describe_load_balancer_retries_throttling():
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_client_error("describe_load_balancers", "Throttling", http_status_code=400)
        stub.add_response(
            "describe_load_balancers", {"LoadBalancers": [lb_description()]}, {"Names": ["illustra-prod"]}
        )
        assert alb.describe_load_balancer(elb, "illustra-prod")["LoadBalancerArn"] == LB
        stub.assert_no_pending_responses()


def test_missing_load_balancer_is_none():
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_client_error("describe_load_balancers", "LoadBalancerNotFound", http_status_code=400)
        assert alb.describe_load_balancer(elb, "nope") is None


def test_other_errors_are_surfaced():
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_client_error("describe_load_balancers", "AccessDenied", http_status_code=403)
        with pytest.raises(AnsibleAWSError, match="describe load balancer"):
            alb.describe_load_balancer(elb, "illustra-prod")


def test_create_listener_request_shape():
    elb = client("elbv2")
    spec = alb.desired_listeners({"certificate_arn": CERT, "ssl_policy": alb.DEFAULT_SSL_POLICY}, TG)[443]
    with Stubber(elb) as stub:
        stub.add_response(
            "create_listener",
            {"Listeners": [{"ListenerArn": LB + "/new", "Port": 443}]},
            {
                "LoadBalancerArn": LB,
                "Protocol": "HTTPS",
                "Port": 443,
                "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "Certificates": [{"CertificateArn": CERT}],
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG}],
            },
        )
        assert alb.create_listener(elb, LoadBalancerArn=LB, **spec)["ListenerArn"] == LB + "/new"


def test_modify_attributes_request_shape():
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_response(
            "modify_load_balancer_attributes",
            {"Attributes": []},
            {"LoadBalancerArn": LB, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]},
        )
        alb.modify_lb_attributes(elb, LB, {"deletion_protection.enabled": "true"})
        stub.assert_no_pending_responses()


def test_absent_refuses_protected_alb_without_force(fake_module):
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_response(
            "describe_load_balancers", {"LoadBalancers": [lb_description()]}, {"Names": ["illustra-prod"]}
        )
        stub.add_response(
            "describe_target_groups", {"TargetGroups": [tg_description()]}, {"Names": ["illustra-prod-web"]}
        )
        stub.add_response(
            "describe_load_balancer_attributes",
            {"Attributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]},
            {"LoadBalancerArn": ANY},
        )
        with pytest.raises(fake_module.Failed, match="deletion protection"):
            mod.ensure_absent(fake_module(module_params(state="absent")), elb)
