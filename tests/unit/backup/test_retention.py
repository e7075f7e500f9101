"""Pure planning in the backup script: dump names, local retention, which dump to restore."""

from __future__ import annotations

import datetime

import pytest

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 22, 2, 0, 5, tzinfo=UTC)


def day(n: int) -> str:
    return (NOW - datetime.timedelta(days=n)).strftime("%Y%m%dT%H%M%SZ") + ".tar"


def test_stamp_is_sortable_utc(wmb):
    later = NOW + datetime.timedelta(seconds=1)
    assert wmb.stamp(NOW) == "20261122T020005Z"
    assert wmb.stamp(NOW) < wmb.stamp(later)
    assert wmb.parse_stamp("x/y/20261122T020005Z.tar") == NOW
    assert wmb.parse_stamp("20261122T020005Z.tar.part") is None
    assert wmb.parse_stamp("notes.txt") is None


@pytest.mark.parametrize(
    ("ages", "keep_days", "keep_min", "expected"),
    [
        ([0, 1, 2, 3, 4, 5, 6], 7, 1, []),  # a week of dumps, nothing older than 7 days
        ([0, 1, 7, 8, 30], 7, 1, [8, 30]),  # exactly keep_days old is kept; older goes
        ([10, 20, 30], 7, 1, [20, 30]),  # backups stopped: the newest is kept whatever its age
        ([10, 20, 30], 7, 2, [30]),
        ([10, 20, 30], 7, 0, [10, 20, 30]),
        ([], 7, 1, []),
    ],
)
def test_plan_local_prune(wmb, ages, keep_days, keep_min, expected):
    names = [day(a) for a in ages] + ["README", "dump-abc", day(99) + ".part"]
    assert wmb.plan_local_prune(names, keep_days, NOW, keep_min) == sorted(day(a) for a in expected)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", "app/20261122T020005Z.tar"),
        ("mongodb/", "mongodb/app/20261122T020005Z.tar"),
        ("/a/b/", "a/b/app/20261122T020005Z.tar"),
    ],
)
def test_object_key(wmb, prefix, expected):
    assert wmb.object_key(prefix, "app", "20261122T020005Z") == expected


KEYS = ["m/app/20261120T020000Z.tar", "m/app/20261122T020000Z.tar", "m/app/20261121T020000Z.tar", "m/app/junk.txt"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "m/app/20261122T020000Z.tar"),
        ("latest", "m/app/20261122T020000Z.tar"),
        ("20261120T020000Z", "m/app/20261120T020000Z.tar"),
        ("20261121T020000Z.tar", "m/app/20261121T020000Z.tar"),
        ("m/app/20261121T020000Z.tar", "m/app/20261121T020000Z.tar"),
    ],
)
def test_select_dump(wmb, name, expected):
    assert wmb.select_dump(KEYS, name) == expected


@pytest.mark.parametrize(("keys", "name"), [([], None), (["m/app/junk.txt"], "latest"), (KEYS, "20250101T000000Z")])
def test_select_dump_fails_clearly(wmb, keys, name):
    with pytest.raises(LookupError, match="no dump"):
        wmb.select_dump(keys, name)
