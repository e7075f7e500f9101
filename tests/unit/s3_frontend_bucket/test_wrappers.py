"""s3_frontend_bucket API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _s3_frontend as s3f
from botocore.stub import Stubber


@pytest.fixture
def client():
    c = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub


@pytest.mark.parametrize(
    ("method", "func", "code", "default"),
    [
        ("get_public_access_block", s3f.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", {}),
        ("get_bucket_encryption", s3f.get_encryption, "ServerSideEncryptionConfigurationNotFoundError", []),
        ("get_bucket_lifecycle_configuration", s3f.get_lifecycle, "NoSuchLifecycleConfiguration", []),
    ],
)
def test_missing_settings_read_as_empty(client, method, func, code, default):
    c, stub = client
    stub.add_client_error(method, code, http_status_code=404)
    assert func(c, "b") == default


def test_put_encryption_retries_throttling_and_surfaces_denied(client):
    c, stub = client
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    stub.add_client_error("put_bucket_encryption", "SlowDown", http_status_code=503)
    stub.add_response(
        "put_bucket_encryption", {}, {"Bucket": "b", "ServerSideEncryptionConfiguration": {"Rules": rules}}
    )
    s3f.put_encryption(c, "b", rules)
    stub.add_client_error("put_bucket_encryption", "AccessDenied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="put bucket encryption"):
        s3f.put_encryption(c, "b", rules)
    stub.assert_no_pending_responses()


# S3 PutPublicAccessBlock's PublicAccessBlockConfiguration, written out: a private bucket blocks
# everything; a website bucket lifts only the two flags that forbid its public-read bucket policy.
PRIVATE_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
WEBSITE_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": False,
    "RestrictPublicBuckets": False,
}


@pytest.mark.parametrize(("mode", "expected"), [("private", PRIVATE_BLOCK), ("website", WEBSITE_BLOCK)])
def test_public_access_block_request_shape(client, mode, expected):
    c, stub = client
    stub.add_response("put_public_access_block", {}, {"Bucket": "b", "PublicAccessBlockConfiguration": expected})
    s3f.put_public_access_block(c, "b", s3f.public_access_block(mode))
    stub.assert_no_pending_responses()
