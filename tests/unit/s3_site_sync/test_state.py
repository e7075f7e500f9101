"""The sync state: what it holds, when it is trusted, and when a sync removes and rewrites it."""

import hashlib
import io
import json

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _site_sync as plan
from ansible_collections.illustra.webstack.plugins.modules import s3_site_sync as mod
from botocore.response import StreamingBody


def etag(text):
    return f'"{hashlib.md5(text.encode()).hexdigest()}"'


# --- pure functions ---------------------------------------------------------------------------


def test_state_round_trips_under_the_same_excludes():
    objects = {"index.html": etag("i"), "static/js/a.1234abcd.js": etag("a")}
    body = plan.state_document(objects, ["downloads/*", "b/*"])
    assert plan.parse_state(body, ["b/*", "downloads/*"]) == objects  # order of patterns does not matter


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"format": 2, "excludes": [], "objects": {}}).encode(),
        json.dumps({"format": 1, "excludes": ["other/*"], "objects": {}}).encode(),
        json.dumps({"format": 1, "excludes": [], "objects": ["index.html"]}).encode(),
        json.dumps({"format": 1, "excludes": [], "objects": {"index.html": 1}}).encode(),
        json.dumps({"format": 1, "excludes": []}).encode(),
    ],
    ids=["garbage", "list", "format", "other-excludes", "objects-list", "etag-not-str", "no-objects"],
)
def test_a_state_that_cannot_be_trusted_is_none(body):
    assert plan.parse_state(body, []) is None


def test_state_after_applies_the_plan_and_drops_reserved_and_excluded_keys():
    remote = {
        "index.html": etag("old"),
        "gone.js": etag("g"),
        "kept.css": etag("k"),
        ".webstack/releases/r1.json": etag("m"),
        "downloads/big.zip": etag("z"),
    }
    local = {"index.html": etag("new"), "kept.css": etag("k"), "new.js": etag("n")}
    result = plan.plan_sync(local, remote, excludes=["downloads/*"])
    assert plan.state_after(remote, result, local, ["downloads/*"]) == local


def test_state_after_keeps_stale_keys_when_delete_is_off():
    remote = {"old.js": etag("o")}
    local = {"index.html": etag("i")}
    result = plan.plan_sync(local, remote, delete=False)
    assert plan.state_after(remote, result, local) == {"old.js": etag("o"), "index.html": etag("i")}


# --- API wrappers and the choice between state and listing ------------------------------------


def _body(data):
    return StreamingBody(io.BytesIO(data), len(data))


def state_response(stub, data):
    stub.add_response("get_object", {"Body": _body(data)}, {"Bucket": "b", "Key": plan.STATE_KEY})


def listing_response(stub, contents):
    stub.add_response("list_objects_v2", {"Contents": contents, "IsTruncated": False}, {"Bucket": "b"})


def test_a_trusted_state_replaces_the_listing(s3):
    client, stub = s3
    body = plan.state_document({"index.html": etag("i")}, [])
    state_response(stub, body)
    assert mod.current_objects(client, "b", [], "state") == ({"index.html": etag("i")}, "state", body)
    stub.assert_no_pending_responses()  # and no ListObjectsV2 was made (the Stubber would have refused it)


@pytest.mark.parametrize("code", ["NoSuchKey", "AccessDenied"])
def test_no_state_means_a_listing(s3, code):
    client, stub = s3
    stub.add_client_error("get_object", code, http_status_code=404 if code == "NoSuchKey" else 403)
    listing_response(stub, [{"Key": "index.html", "ETag": etag("i")}])
    assert mod.current_objects(client, "b", [], "state") == ({"index.html": etag("i")}, "listing", None)
    stub.assert_no_pending_responses()


def test_a_state_written_under_other_excludes_means_a_listing(s3):
    client, stub = s3
    body = plan.state_document({"index.html": etag("stale")}, ["downloads/*"])
    state_response(stub, body)
    listing_response(stub, [{"Key": "index.html", "ETag": etag("i")}])
    assert mod.current_objects(client, "b", [], "state") == ({"index.html": etag("i")}, "listing", body)


def test_compare_listing_lists_even_with_a_state(s3):
    client, stub = s3
    body = plan.state_document({"index.html": etag("stale")}, [])
    state_response(stub, body)
    listing_response(stub, [{"Key": "index.html", "ETag": etag("i")}])
    assert mod.current_objects(client, "b", [], "listing")[:2] == ({"index.html": etag("i")}, "listing")


def test_a_missing_bucket_is_none_either_way(s3):
    client, stub = s3
    stub.add_client_error("get_object", "NoSuchBucket", http_status_code=404)
    stub.add_client_error("list_objects_v2", "NoSuchBucket", http_status_code=404)
    assert mod.current_objects(client, "b", [], "state") == (None, "listing", None)


def test_reading_the_state_retries_throttling_and_surfaces_other_errors(s3):
    client, stub = s3
    stub.add_client_error("get_object", "SlowDown", http_status_code=503)
    state_response(stub, b"{}")
    assert mod.get_state(client, "b") == b"{}"
    stub.add_client_error("get_object", "InvalidObjectState", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="read the sync state"):
        mod.get_state(client, "b")


# --- _apply: the state is removed before the first change, written after the last ---------------


class Recorder:
    """Stands in for the API wrappers and records the order of calls."""

    def __init__(self, monkeypatch, fail_on=None):
        self.calls = []
        for name in ("delete_state", "put_state", "put_object", "delete_objects"):
            monkeypatch.setattr(mod, name, self._record(name, fail_on))

    def _record(self, name, fail_on):
        def call(_client, _bucket, *args, **_kwargs):
            self.calls.append((name, args[0] if name == "put_object" else None))
            if name == fail_on:
                raise AnsibleAWSError(message=f"{name} failed")

        return call


@pytest.fixture
def sync_module(fake_module):
    module = fake_module({"bucket": "b", "cache_rules": [], "hashed_immutable": True, "default_cache_control": None})
    return module


def _apply(module, tmp_path, plan_, state):
    (tmp_path / "index.html").write_text("i")
    (tmp_path / "a.js").write_text("a")
    build = dict(
        sources={"index.html": str(tmp_path / "index.html"), "a.js": str(tmp_path / "a.js")},
        encodings={},
        local={"index.html": (etag("i"), 1), "a.js": (etag("a"), 1)},
        chunk_size=8 * 1024 * 1024,
    )

    class InlinePool:
        def map(self, fn, items):
            return [fn(i) for i in items]

    mod._apply(module, None, InlinePool(), plan_, build, state)


def test_changes_are_bracketed_by_removing_and_writing_the_state(monkeypatch, tmp_path, sync_module):
    rec = Recorder(monkeypatch)
    _apply(sync_module, tmp_path, {"upload": ["a.js", "index.html"], "delete": ["old.js"]}, b"new-state")
    assert rec.calls == [
        ("delete_state", None),
        ("put_object", "a.js"),
        ("put_object", "index.html"),
        ("delete_objects", None),
        ("put_state", None),
    ]


def test_a_failed_upload_leaves_no_state(monkeypatch, tmp_path, sync_module):
    rec = Recorder(monkeypatch, fail_on="put_object")
    with pytest.raises(sync_module.Failed, match="put_object failed"):
        _apply(sync_module, tmp_path, {"upload": ["a.js"], "delete": []}, b"new-state")
    assert rec.calls == [("delete_state", None), ("put_object", "a.js")]


def test_no_change_with_a_current_state_writes_nothing(monkeypatch, tmp_path, sync_module):
    rec = Recorder(monkeypatch)
    _apply(sync_module, tmp_path, {"upload": [], "delete": []}, None)
    assert rec.calls == []


def test_no_change_after_a_listing_only_writes_the_state(monkeypatch, tmp_path, sync_module):
    rec = Recorder(monkeypatch)
    _apply(sync_module, tmp_path, {"upload": [], "delete": []}, b"state-from-listing")
    assert rec.calls == [("put_state", None)]
