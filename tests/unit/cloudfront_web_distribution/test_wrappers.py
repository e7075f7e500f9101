"""cloudfront_web_distribution API wrappers with botocore's Stubber."""

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudfront as cf
from botocore.stub import Stubber

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)

# CloudFront CreateOriginAccessControl's OriginAccessControlConfig, written out: CloudFront signs
# every request to the S3 origin with SigV4.
OAC_CONFIG = {
    "Name": "n-oac",
    "Description": "illustra.webstack: CloudFront signs every request to the private bucket",
    "SigningProtocol": "sigv4",
    "SigningBehavior": "always",
    "OriginAccessControlOriginType": "s3",
}


@pytest.fixture
def client():
    c = boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub


def test_create_oac_request_shape_and_retry(client):
    c, stub = client
    stub.add_client_error("create_origin_access_control", "Throttling", http_status_code=400)
    stub.add_response(
        "create_origin_access_control",
        {"OriginAccessControl": {"Id": "O1", "OriginAccessControlConfig": OAC_CONFIG}, "ETag": "e"},
        {"OriginAccessControlConfig": OAC_CONFIG},
    )
    assert cf.create_oac(c, cf.oac_config("n-oac"))["Id"] == "O1"
    stub.assert_no_pending_responses()


def test_missing_headers_policy_reads_as_none(client):
    c, stub = client
    stub.add_client_error("get_response_headers_policy", "NoSuchResponseHeadersPolicy", http_status_code=404)
    assert cf.get_response_headers_policy(c, "x") == (None, None)


def test_create_distribution_with_tags_shape(client):
    """CreateDistributionWithTags gets the config as given and the tags as a Tags.Items list (sorted),
    in the same call; an error surfaces."""
    c, stub = client
    config = {
        "CallerReference": "r",
        "Comment": "c",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only"},
    }
    expected = {
        "DistributionConfigWithTags": {
            "DistributionConfig": config,
            "Tags": {"Items": [{"Key": "Environment", "Value": "prod"}, {"Key": "Project", "Value": "illustra"}]},
        }
    }
    stub.add_client_error(
        "create_distribution_with_tags", "InvalidViewerCertificate", http_status_code=400, expected_params=expected
    )
    with pytest.raises(AnsibleAWSError, match=r"create distribution.*InvalidViewerCertificate"):
        cf.create_distribution(c, config, {"Project": "illustra", "Environment": "prod"})
    stub.assert_no_pending_responses()


def test_update_passes_if_match(client):
    c, stub = client
    config = {
        "CallerReference": "r",
        "Comment": "c",
        "Enabled": False,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only"},
    }
    expected = {"Id": "D1", "IfMatch": "etag", "DistributionConfig": config}
    stub.add_client_error("update_distribution", "Throttling", http_status_code=400, expected_params=expected)
    stub.add_client_error("update_distribution", "IllegalUpdate", http_status_code=400, expected_params=expected)
    with pytest.raises(AnsibleAWSError, match=r"update distribution.*IllegalUpdate"):
        cf.update_distribution(c, "D1", config, "etag")
    stub.assert_no_pending_responses()


def test_a_function_without_a_live_stage_reads_as_none(client):
    c, stub = client
    stub.add_client_error("describe_function", "NoSuchFunctionExists", http_status_code=404)
    assert cf.describe_function(c, "f", "LIVE") == (None, None)
    stub.assert_no_pending_responses()


def test_update_and_publish_use_the_development_etag(client):
    c, stub = client
    config = {"Comment": "c", "Runtime": "cloudfront-js-2.0"}
    stub.add_response(
        "update_function",
        {
            "ETag": "E2",
            "FunctionSummary": {
                "Name": "f",
                "FunctionConfig": config,
                "FunctionMetadata": {"FunctionARN": "a", "LastModifiedTime": NOW},
            },
        },
        {"Name": "f", "IfMatch": "E1", "FunctionConfig": config, "FunctionCode": b"code"},
    )
    stub.add_client_error("publish_function", "Throttling", http_status_code=400)
    stub.add_response(
        "publish_function",
        {
            "FunctionSummary": {
                "Name": "f",
                "FunctionConfig": config,
                "FunctionMetadata": {"FunctionARN": "a", "LastModifiedTime": NOW},
            }
        },
        {"Name": "f", "IfMatch": "E2"},
    )
    assert cf.update_function(c, "f", config, b"code", "E1") == "E2"
    cf.publish_function(c, "f", "E2")
    stub.assert_no_pending_responses()


def test_deleting_a_function_in_use_is_an_error(client):
    c, stub = client
    stub.add_client_error("delete_function", "FunctionInUse", http_status_code=409)
    with pytest.raises(AnsibleAWSError, match="delete function"):
        cf.delete_function(c, "f", "E1")
