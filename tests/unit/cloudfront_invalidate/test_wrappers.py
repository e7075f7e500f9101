"""cloudfront_invalidate API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import cloudfront_invalidate as mod
from botocore.stub import Stubber

ARN = "arn:aws:cloudfront::123456789012:distribution/"


@pytest.fixture
def cloudfront():
    client = boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub


def _invalidation(paths, ref):
    return {
        "Location": "https://x",
        "Invalidation": {
            "Id": "I1",
            "Status": "InProgress",
            "CreateTime": "2026-11-22T00:00:00Z",
            "InvalidationBatch": {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": ref},
        },
    }


def test_create_invalidation_request_shape_and_throttling(cloudfront):
    client, stub = cloudfront
    paths = ["/", "/index.html", "/static/*"]
    stub.add_client_error("create_invalidation", "Throttling", http_status_code=400)
    stub.add_response(
        "create_invalidation",
        _invalidation(paths, "r1"),
        {
            "DistributionId": "E1",
            "InvalidationBatch": {"Paths": {"Quantity": 3, "Items": paths}, "CallerReference": "r1"},
        },
    )
    assert mod.create_invalidation(client, "E1", paths, "r1")["Id"] == "I1"
    stub.assert_no_pending_responses()


def test_too_many_invalidations_is_surfaced(cloudfront):
    client, stub = cloudfront
    stub.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="create the invalidation"):
        mod.create_invalidation(client, "E1", ["/*"], "r1")


def _summary(dist_id):
    return {
        "Id": dist_id,
        "ARN": ARN + dist_id,
        "Status": "Deployed",
        "LastModifiedTime": "2026-11-22T00:00:00Z",
        "DomainName": dist_id + ".cloudfront.net",
        "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https"},
        "CacheBehaviors": {"Quantity": 0},
        "CustomErrorResponses": {"Quantity": 0},
        "Comment": "",
        "PriceClass": "PriceClass_100",
        "Enabled": True,
        "ViewerCertificate": {},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2",
        "IsIPV6Enabled": True,
        "Staging": False,
    }


def test_find_distribution_by_tags(cloudfront):
    client, stub = cloudfront
    stub.add_response(
        "list_distributions",
        {
            "DistributionList": {
                "Marker": "",
                "MaxItems": 100,
                "IsTruncated": False,
                "Quantity": 2,
                "Items": [_summary("E1"), _summary("E2")],
            }
        },
    )
    stub.add_response(
        "list_tags_for_resource",
        {"Tags": {"Items": [{"Key": "Name", "Value": "other"}]}},
        {"Resource": ARN + "E1"},
    )
    stub.add_response(
        "list_tags_for_resource",
        {
            "Tags": {
                "Items": [{"Key": "Name", "Value": "illustra-prod-frontend"}, {"Key": "Environment", "Value": "prod"}]
            }
        },
        {"Resource": ARN + "E2"},
    )
    assert mod.find_distribution(client, {"Name": "illustra-prod-frontend", "Environment": "prod"}) == ["E2"]
    stub.assert_no_pending_responses()
