"""Release planning: manifests, which release to restore, what a rollback copies and deletes, pruning."""

import datetime
import json

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _site_release as rel
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import PlanError


def obj(version, etag):
    return {"version_id": version, "etag": f'"{etag}"'}


def test_current_objects_takes_latest_and_drops_deleted_and_reserved():
    versions = [
        {"Key": "a", "VersionId": "2", "ETag": '"a2"', "IsLatest": True},
        {"Key": "a", "VersionId": "1", "ETag": '"a1"', "IsLatest": False},
        {"Key": "gone", "VersionId": "1", "ETag": '"g"', "IsLatest": False},
        {"Key": ".webstack/releases/r1.json", "VersionId": "1", "ETag": '"m"', "IsLatest": True},
        {"Key": "keep/x", "VersionId": "1", "ETag": '"k"', "IsLatest": True},
    ]
    markers = [{"Key": "gone", "VersionId": "2", "IsLatest": True}]
    assert rel.current_objects(versions, markers, ["keep/*"]) == {"a": {"version_id": "2", "etag": '"a2"'}}


@pytest.mark.parametrize(
    ("current", "release", "matches"),
    [
        ({}, {}, True),
        ({"a": obj("1", "x")}, {"a": obj("1", "x")}, True),
        ({"a": obj("2", "x")}, {"a": obj("1", "x")}, True),  # restored copy: same bytes
        ({"a": obj("2", "y")}, {"a": obj("1", "x")}, False),
        ({"a": obj("2", "x-2")}, {"a": obj("1", "x-2")}, False),  # multipart ETags are not content hashes
        ({"a": obj("1", "x"), "b": obj("1", "b")}, {"a": obj("1", "x")}, False),
        ({}, {"a": obj("1", "x")}, False),
    ],
)
def test_state_matches(current, release, matches):
    assert rel.state_matches(current, release) is matches


def test_plan_rollback_restores_and_deletes():
    current = {"index.html": obj("3", "new"), "same.css": obj("1", "s"), "new.js": obj("1", "n")}
    release = {"index.html": obj("1", "old"), "same.css": obj("1", "s"), "old.js": obj("1", "o")}
    assert rel.plan_rollback(current, release) == {"restore": ["index.html", "old.js"], "delete": ["new.js"]}
    assert rel.plan_rollback(current, release, ["new.*"])["delete"] == []


@pytest.mark.parametrize(
    ("requested", "last_good", "expected"),
    [("previous", None, "r2"), ("last_good", "r1", "r1"), ("r1", None, "r1"), ("r3", None, "r3")],
)
def test_select_target(requested, last_good, expected):
    assert rel.select_target(["r1", "r2", "r3"], requested, last_good) == expected


@pytest.mark.parametrize(
    ("ids", "requested", "last_good", "message"),
    [
        (["r1"], "previous", None, "no previous release"),
        ([], "previous", None, "no previous release"),
        (["r1", "r2"], "last_good", None, "no last known good"),
        (["r1", "r2"], "r9", None, "does not exist"),
        (["r1", "r2"], "last_good", "r0", "does not exist"),
    ],
)
def test_select_target_errors(ids, requested, last_good, message):
    with pytest.raises(PlanError, match=message):
        rel.select_target(ids, requested, last_good)


@pytest.mark.parametrize(
    ("ids", "keep", "protect", "pruned"),
    [
        (["r1", "r2", "r3"], 5, [], []),
        (["r1", "r2", "r3"], 2, [], ["r1"]),
        (["r1", "r2", "r3", "r4"], 1, ["r2"], ["r1", "r3"]),
    ],
)
def test_prune(ids, keep, protect, pruned):
    assert rel.prune(ids, keep, protect) == pruned


def test_prune_rejects_zero():
    with pytest.raises(PlanError, match="keep_releases"):
        rel.prune(["r1"], 0)


def test_release_ids_and_manifest_keys_round_trip():
    keys = [rel.manifest_key("r20261122T010000Z-aa"), rel.manifest_key("r20261121T010000Z-bb"), "index.html"]
    assert rel.release_ids(keys) == ["r20261121T010000Z-bb", "r20261122T010000Z-aa"]


def test_new_release_id_sorts_by_time_and_names_the_content():
    objects = {"a": obj("1", "x")}
    first = rel.new_release_id(datetime.datetime(2026, 11, 22, 1, 0, 0), objects)
    later = rel.new_release_id(datetime.datetime(2026, 11, 22, 1, 0, 1), {"a": obj("9", "x")})
    assert first.startswith("r20261122T010000Z-") and first < later
    assert first.split("-")[1] == later.split("-")[1]  # same bytes, same digest
    rel.validate_release_id(first)


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "-x", "x" * 200])
def test_invalid_release_ids(bad):
    with pytest.raises(PlanError, match="not valid"):
        rel.validate_release_id(bad)


def test_manifest_round_trip_and_bad_manifest():
    manifest = rel.build_manifest("r1", "2026-11-22T00:00:00Z", "b", {"a": obj("1", "x")}, {"commit": "abc"})
    assert rel.parse_manifest(json.dumps(manifest), "r1")["objects"] == {"a": obj("1", "x")}
    with pytest.raises(PlanError, match="not valid"):
        rel.parse_manifest('{"objects": {"a": {}}}', "r1")
    with pytest.raises(PlanError, match="not valid"):
        rel.parse_manifest("not json", "r1")
