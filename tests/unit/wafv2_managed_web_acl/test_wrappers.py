"""wafv2_managed_web_acl API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf
from botocore.stub import Stubber


@pytest.fixture
def client():
    c = boto3.client("wafv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub


def _visibility(metric):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}


# WAFv2 CreateWebACL's body for an ACL that allows by default, runs AWS's SQLi managed group with
# its own actions (OverrideAction None) and blocks an IP past 100 requests, written out from the API
# reference rather than by build_acl.
ACL_REQUEST = {
    "Name": "n",
    "Description": "d",
    "DefaultAction": {"Allow": {}},
    "Rules": [
        {
            "Name": "AWS-AWSManagedRulesSQLiRuleSet",
            "Priority": 0,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet"}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility("m-AWSManagedRulesSQLiRuleSet"),
        },
        {
            "Name": "rate-limit-per-ip",
            "Priority": 1,
            "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}},
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("m-rate-limit"),
        },
    ],
    "VisibilityConfig": _visibility("m"),
}


def test_create_request_shape_and_retry(client):
    c, stub = client
    acl = waf.build_acl(
        "n", "d", metric_prefix="m", mode="block", managed_rule_groups=["AWSManagedRulesSQLiRuleSet"], rate_limit=100
    )
    summary = {
        "Name": "n",
        "Id": "i",
        "ARN": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/n/i",
        "LockToken": "t",
    }
    stub.add_client_error("create_web_acl", "WAFInternalErrorException", http_status_code=500)
    stub.add_response(
        "create_web_acl", {"Summary": summary}, dict(ACL_REQUEST, Scope="CLOUDFRONT", Tags=[{"Key": "A", "Value": "b"}])
    )
    assert waf.create_web_acl(c, acl, "CLOUDFRONT", {"A": "b"}) == summary
    stub.assert_no_pending_responses()


def test_update_uses_lock_token_and_surfaces_optimistic_lock(client):
    c, stub = client
    stub.add_client_error(
        "update_web_acl",
        "WAFOptimisticLockException",
        http_status_code=400,
        expected_params=dict(ACL_REQUEST, Scope="REGIONAL", Id="i", LockToken="t"),
    )
    with pytest.raises(AnsibleAWSError, match=r"update web ACL.*WAFOptimisticLockException"):
        waf.update_web_acl(c, ACL_REQUEST, "REGIONAL", "i", "t")
    stub.assert_no_pending_responses()


def test_missing_acl_reads_as_none(client):
    c, stub = client
    stub.add_client_error("get_web_acl", "WAFNonexistentItemException", http_status_code=400)
    assert waf.get_web_acl(c, "n", "REGIONAL", "i") is None


def test_list_pages_through_markers(client):
    c, stub = client
    stub.add_response(
        "list_web_acls", {"WebACLs": [{"Name": "a"}], "NextMarker": "m"}, {"Scope": "REGIONAL", "Limit": 100}
    )
    stub.add_response(
        "list_web_acls", {"WebACLs": [{"Name": "b"}]}, {"Scope": "REGIONAL", "Limit": 100, "NextMarker": "m"}
    )
    assert [a["Name"] for a in waf.list_web_acls(c, "REGIONAL")] == ["a", "b"]
