"""CloudFront emulator patches: Functions (stages, publish, associations) and response-headers policies in use.

"gap" tests use moto in this process (unpatched); "fixed" tests go through the harness's emulator.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

CODE = b"function handler(event) { return event.request; }"
CONFIG = {"Comment": "patch test", "Runtime": "cloudfront-js-2.0"}
SECURITY_HEADERS_POLICY = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # AWS-managed


@pytest.fixture(autouse=True)
def _gap_tests_use_plain_moto(request, monkeypatch):
    if request.node.name.startswith("test_gap"):
        for var in ("AWS_ENDPOINT_URL", "AWS_URL"):
            monkeypatch.delenv(var, raising=False)


def _config(reference, function_arn=None, headers_policy=None):
    behavior = {
        "TargetOriginId": "s3",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    }
    if function_arn:
        behavior["FunctionAssociations"] = {
            "Quantity": 1,
            "Items": [{"FunctionARN": function_arn, "EventType": "viewer-request"}],
        }
    if headers_policy:
        behavior["ResponseHeadersPolicyId"] = headers_policy
    return {
        "CallerReference": reference,
        "Comment": "patch test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "s3",
                    "DomainName": "site.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": behavior,
    }


def _code(error):
    return error.value.response["Error"]["Code"]


def test_gap_plain_moto_has_no_publish_and_drops_function_associations():
    from moto import mock_aws

    with mock_aws():
        cf = boto3.client("cloudfront", region_name="us-east-1")
        created = cf.create_function(Name="f", FunctionConfig=CONFIG, FunctionCode=CODE)
        arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        with pytest.raises(ClientError):
            cf.publish_function(Name="f", IfMatch=created["ETag"])
        dist = cf.create_distribution(DistributionConfig=_config("gap", arn))["Distribution"]
        stored = cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]["DefaultCacheBehavior"]
        assert stored["FunctionAssociations"]["Quantity"] == 0


def test_fixed_function_stages_publish_and_update(clean_emulator):
    cf = boto3.client("cloudfront")
    created = cf.create_function(Name="f", FunctionConfig=CONFIG, FunctionCode=CODE)
    assert created["FunctionSummary"]["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    assert cf.get_function(Name="f")["FunctionCode"].read() == CODE
    with pytest.raises(ClientError) as err:
        cf.describe_function(Name="f", Stage="LIVE")
    assert _code(err) == "NoSuchFunctionExists"
    with pytest.raises(ClientError) as err:
        cf.publish_function(Name="f", IfMatch="stale")
    assert _code(err) == "PreconditionFailed"
    cf.publish_function(Name="f", IfMatch=created["ETag"])
    assert cf.get_function(Name="f", Stage="LIVE")["FunctionCode"].read() == CODE
    updated = cf.update_function(Name="f", IfMatch=created["ETag"], FunctionConfig=CONFIG, FunctionCode=CODE + b"//2")
    # The update changes DEVELOPMENT only; viewers keep LIVE until the next publish.
    assert cf.get_function(Name="f", Stage="LIVE")["FunctionCode"].read() == CODE
    assert cf.get_function(Name="f", Stage="DEVELOPMENT")["FunctionCode"].read() == CODE + b"//2"
    cf.publish_function(Name="f", IfMatch=updated["ETag"])
    assert cf.get_function(Name="f", Stage="LIVE")["FunctionCode"].read() == CODE + b"//2"
    assert [f["Name"] for f in cf.list_functions(Stage="LIVE")["FunctionList"]["Items"]] == ["f"]


def test_fixed_distributions_keep_published_associations_and_refuse_others(clean_emulator):
    cf = boto3.client("cloudfront")
    created = cf.create_function(Name="f", FunctionConfig=CONFIG, FunctionCode=CODE)
    arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    with pytest.raises(ClientError) as err:  # not published yet
        cf.create_distribution(DistributionConfig=_config("unpublished", arn))
    assert _code(err) == "InvalidFunctionAssociation"
    cf.publish_function(Name="f", IfMatch=created["ETag"])
    dist = cf.create_distribution(DistributionConfig=_config("published", arn))["Distribution"]
    stored = cf.get_distribution_config(Id=dist["Id"])
    assert stored["DistributionConfig"]["DefaultCacheBehavior"]["FunctionAssociations"] == {
        "Quantity": 1,
        "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
    }
    etag = cf.describe_function(Name="f")["ETag"]
    with pytest.raises(ClientError) as err:
        cf.delete_function(Name="f", IfMatch=etag)
    assert _code(err) == "FunctionInUse"
    config = dict(stored["DistributionConfig"], DefaultCacheBehavior=_config("x")["DefaultCacheBehavior"])
    cf.update_distribution(Id=dist["Id"], IfMatch=stored["ETag"], DistributionConfig=config)
    cf.delete_function(Name="f", IfMatch=etag)
    assert cf.list_functions()["FunctionList"].get("Items", []) == []


def test_fixed_response_headers_policy_in_use_and_unknown_ids(clean_emulator):
    cf = boto3.client("cloudfront")
    policy = cf.create_response_headers_policy(
        ResponseHeadersPolicyConfig={"Name": "h", "SecurityHeadersConfig": {"ContentTypeOptions": {"Override": True}}}
    )
    policy_id = policy["ResponseHeadersPolicy"]["Id"]
    with pytest.raises(ClientError) as err:
        cf.create_distribution(
            DistributionConfig=_config("unknown", headers_policy="00000000-0000-0000-0000-000000000000")
        )
    assert _code(err) == "NoSuchResponseHeadersPolicy"
    # AWS-managed policies are referenced by id in every account.
    cf.create_distribution(DistributionConfig=_config("managed", headers_policy=SECURITY_HEADERS_POLICY))
    dist = cf.create_distribution(DistributionConfig=_config("custom", headers_policy=policy_id))["Distribution"]
    with pytest.raises(ClientError) as err:
        cf.delete_response_headers_policy(Id=policy_id, IfMatch=policy["ETag"])
    assert _code(err) == "ResponseHeadersPolicyInUse"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    stored = cf.get_distribution_config(Id=dist["Id"])
    etag = cf.update_distribution(
        Id=dist["Id"], IfMatch=stored["ETag"], DistributionConfig=dict(stored["DistributionConfig"], Enabled=False)
    )["ETag"]
    cf.delete_distribution(Id=dist["Id"], IfMatch=etag)
    cf.delete_response_headers_policy(Id=policy_id, IfMatch=policy["ETag"])
