"""s3_site_sync API wrappers with botocore's Stubber: request shape, throttling retried, errors surfaced."""

import base64
import hashlib

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import s3_site_sync as mod


def test_list_etags_paginates_one_listing(s3):
    client, stub = s3
    stub.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "a", "ETag": '"1"'}], "IsTruncated": True, "NextContinuationToken": "t"},
        {"Bucket": "b"},
    )
    stub.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "b", "ETag": '"2"'}], "IsTruncated": False},
        {"Bucket": "b", "ContinuationToken": "t"},
    )
    assert mod.list_etags(client, "b") == {"a": '"1"', "b": '"2"'}
    stub.assert_no_pending_responses()


def test_list_etags_retries_throttling(s3):
    client, stub = s3
    stub.add_client_error("list_objects_v2", "SlowDown", http_status_code=503)
    stub.add_client_error("list_objects_v2", "Throttling", http_status_code=400)
    stub.add_response("list_objects_v2", {"IsTruncated": False}, {"Bucket": "b"})
    assert mod.list_etags(client, "b") == {}
    stub.assert_no_pending_responses()


def test_list_etags_missing_bucket_is_none(s3):
    client, stub = s3
    stub.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    assert mod.list_etags(client, "b") is None


def test_list_etags_surfaces_access_denied(s3):
    client, stub = s3
    stub.add_client_error("list_objects_v2", "AccessDenied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="list the bucket's objects"):
        mod.list_etags(client, "b")


def test_put_object_sends_headers_and_md5(s3):
    client, stub = s3
    body = b"console.log(1)"
    stub.add_response(
        "put_object",
        {"ETag": f'"{hashlib.md5(body).hexdigest()}"'},
        {
            "Bucket": "b",
            "Key": "static/js/main.3f2a1b9c.js",
            "Body": body,
            "ContentMD5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "ContentType": "text/javascript; charset=utf-8",
            "CacheControl": "public, max-age=31536000, immutable",
            "ContentEncoding": "br",
        },
    )
    headers = mod.object_headers("static/js/main.3f2a1b9c.js", "br")
    mod.put_object(client, "b", "static/js/main.3f2a1b9c.js", body, headers)
    stub.assert_no_pending_responses()


def test_put_object_retries_then_surfaces(s3):
    client, stub = s3
    stub.add_client_error("put_object", "InternalError", http_status_code=500)
    stub.add_response("put_object", {"ETag": '"x"'})
    mod.put_object(client, "b", "a.txt", b"a", {"ContentType": "text/plain"})
    stub.add_client_error("put_object", "AccessDenied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="upload an object"):
        mod.put_object(client, "b", "a.txt", b"a", {"ContentType": "text/plain"})


def test_delete_objects_batches_of_1000_and_reports_errors(s3):
    client, stub = s3
    keys = [f"k{i:04d}" for i in range(1500)]
    stub.add_response(
        "delete_objects",
        {},
        {"Bucket": "b", "Delete": {"Objects": [{"Key": k} for k in keys[:1000]], "Quiet": True}},
    )
    stub.add_response(
        "delete_objects",
        {},
        {"Bucket": "b", "Delete": {"Objects": [{"Key": k} for k in keys[1000:]], "Quiet": True}},
    )
    mod.delete_objects(client, "b", keys)
    stub.assert_no_pending_responses()
    stub.add_response("delete_objects", {"Errors": [{"Key": "k", "Code": "AccessDenied", "Message": "no"}]})
    with pytest.raises(AnsibleAWSError, match="delete objects"):
        mod.delete_objects(client, "b", ["k"])
