"""account_info: one GetCallerIdentity call, retried when throttled, the partition read from the caller's ARN."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import account_info as mod
from botocore.stub import Stubber


@pytest.fixture
def client():
    c = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


IDENTITY = {
    "Account": "123456789012",
    "Arn": "arn:aws-cn:sts::123456789012:assumed-role/deploy/ci",
    "UserId": "AROA:ci",
}


def test_throttling_is_retried_then_the_identity_returned(client):
    client.stub.add_client_error("get_caller_identity", "Throttling", "slow down", http_status_code=400)
    client.stub.add_response("get_caller_identity", IDENTITY, {})
    assert mod.caller_identity(client)["Account"] == "123456789012"


def test_other_errors_surface(client):
    client.stub.add_client_error("get_caller_identity", "ExpiredToken", "expired", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="Failed to find the caller's identity"):
        mod.caller_identity(client)
