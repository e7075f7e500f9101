"""wafv2_web_acl_association: the plan, and GetWebACLForResource/Associate against botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf
from botocore.stub import Stubber

ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1"
ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/n/1"
OTHER = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/o/2"


@pytest.mark.parametrize(
    ("current", "desired", "state", "action"),
    [
        (None, ACL, "present", "associate"),
        (ACL, ACL, "present", None),
        (OTHER, ACL, "present", "associate"),
        (ACL, ACL, "absent", "disassociate"),
        (OTHER, ACL, "absent", None),
        (OTHER, None, "absent", "disassociate"),
        (None, None, "absent", None),
    ],
)
def test_plan(current, desired, state, action):
    assert waf.plan_association(current, desired, state) == action


@pytest.fixture
def client():
    c = boto3.client("wafv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub


def test_current_acl_read_without_list_resources(client):
    c, stub = client
    acl = {
        "Name": "n",
        "Id": "1",
        "ARN": ACL,
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"},
    }
    stub.add_client_error("get_web_acl_for_resource", "WAFUnavailableEntityException", http_status_code=400)
    stub.add_response("get_web_acl_for_resource", {"WebACL": acl}, {"ResourceArn": ALB})
    assert waf.get_web_acl_for_resource(c, ALB)["ARN"] == ACL
    stub.add_response("get_web_acl_for_resource", {}, {"ResourceArn": ALB})
    assert waf.get_web_acl_for_resource(c, ALB) is None


def test_associate_shape_and_errors(client):
    c, stub = client
    stub.add_response("associate_web_acl", {}, {"WebACLArn": ACL, "ResourceArn": ALB})
    waf.associate(c, ACL, ALB)
    stub.add_client_error("associate_web_acl", "WAFInvalidParameterException", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="associate web ACL"):
        waf.associate(c, ACL, ALB)


@pytest.mark.parametrize("code", ["WAFInternalErrorException", "WAFUnavailableEntityException", "ThrottlingException"])
def test_associate_retries_what_aws_says_to_retry(client, code):
    c, stub = client
    stub.add_client_error("associate_web_acl", code, http_status_code=400)
    stub.add_response("associate_web_acl", {}, {"WebACLArn": ACL, "ResourceArn": ALB})
    waf.associate(c, ACL, ALB)
    stub.assert_no_pending_responses()


def test_disassociating_a_resource_that_is_gone_is_no_error(client):
    c, stub = client
    stub.add_response("disassociate_web_acl", {}, {"ResourceArn": ALB})
    assert waf.disassociate(c, ALB) is True
    stub.add_client_error("disassociate_web_acl", "WAFNonexistentItemException", http_status_code=400)
    assert waf.disassociate(c, ALB) is False
