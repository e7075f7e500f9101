"""s3_site_release API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import s3_site_release as mod
from botocore.stub import Stubber


def stubbed(service):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_restore_copies_the_version_server_side():
    client, stub = stubbed("s3")
    stub.add_client_error("copy_object", "SlowDown", http_status_code=503)
    stub.add_response(
        "copy_object",
        {"CopyObjectResult": {"ETag": '"x"'}},
        {
            "Bucket": "b",
            "Key": "index.html",
            "CopySource": {"Bucket": "b", "Key": "index.html", "VersionId": "v1"},
            "MetadataDirective": "COPY",
        },
    )
    with stub:
        mod.restore_version(client, "b", "index.html", "v1")
        stub.assert_no_pending_responses()


def test_restore_of_an_expired_version_is_surfaced():
    client, stub = stubbed("s3")
    stub.add_client_error("copy_object", "NoSuchVersion", http_status_code=404)
    with stub, pytest.raises(AnsibleAWSError, match="restore an object version"):
        mod.restore_version(client, "b", "index.html", "v1")


def test_versioning_of_a_missing_bucket_is_none():
    client, stub = stubbed("s3")
    stub.add_client_error("get_bucket_versioning", "NoSuchBucket", http_status_code=404)
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "b"})
    stub.add_response("get_bucket_versioning", {}, {"Bucket": "b"})
    with stub:
        assert mod.get_versioning(client, "b") is None
        assert mod.get_versioning(client, "b") == "Enabled"
        assert mod.get_versioning(client, "b") == "Disabled"


def test_list_versions_paginates():
    client, stub = stubbed("s3")
    stub.add_response(
        "list_object_versions",
        {
            "Versions": [{"Key": "a", "VersionId": "1", "ETag": '"a"', "IsLatest": True}],
            "IsTruncated": True,
            "NextKeyMarker": "a",
            "NextVersionIdMarker": "1",
        },
        {"Bucket": "b"},
    )
    stub.add_response(
        "list_object_versions",
        {"DeleteMarkers": [{"Key": "c", "VersionId": "2", "IsLatest": True}], "IsTruncated": False},
        {"Bucket": "b", "KeyMarker": "a", "VersionIdMarker": "1"},
    )
    with stub:
        versions, markers = mod.list_versions(client, "b")
    assert [v["Key"] for v in versions] == ["a"] and [m["Key"] for m in markers] == ["c"]


def test_parameter_read_missing_and_throttled():
    client, stub = stubbed("ssm")
    stub.add_client_error("get_parameter", "ParameterNotFound", http_status_code=400)
    stub.add_client_error("get_parameter", "ThrottlingException", http_status_code=400)
    stub.add_response("get_parameter", {"Parameter": {"Name": "/p", "Value": "r1"}}, {"Name": "/p"})
    with stub:
        assert mod.get_parameter(client, "/p") is None
        assert mod.get_parameter(client, "/p") == "r1"


def test_parameter_created_with_tags_then_overwritten():
    client, stub = stubbed("ssm")
    common = {
        "Name": "/p",
        "Value": "r1",
        "Type": "String",
        "Description": "Last known good website release (illustra.webstack)",
    }
    stub.add_response("put_parameter", {"Version": 1}, {**common, "Tags": [{"Key": "Project", "Value": "illustra"}]})
    stub.add_response("put_parameter", {"Version": 2}, {**common, "Overwrite": True})
    with stub:
        mod.put_parameter(client, "/p", "r1", {"Project": "illustra"}, exists=False)
        mod.put_parameter(client, "/p", "r1", {"Project": "illustra"}, exists=True)
        stub.assert_no_pending_responses()


def test_parameter_delete_is_idempotent():
    client, stub = stubbed("ssm")
    stub.add_client_error("delete_parameter", "ParameterNotFound", http_status_code=400)
    with stub:
        assert mod.delete_parameter(client, "/p") is False
