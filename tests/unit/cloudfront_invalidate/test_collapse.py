"""Invalidation paths: only what changed, collapsed to few."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import collapse_paths


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], []),
        ([".webstack/releases/r1.json"], []),
        (["favicon.ico"], ["/favicon.ico"]),
        (["index.html"], ["/", "/index.html"]),
        (["docs/index.html"], ["/docs/", "/docs/index.html"]),
        (["static/js/a.1.js", "static/js/b.2.js"], ["/static/js/a.1.js", "/static/js/b.2.js"]),
        # five changed entries in one directory collapse to it
        ([f"static/js/{i}.js" for i in range(5)] + ["index.html"], ["/", "/index.html", "/static/js/*"]),
        # spread across sibling directories: the parent collapses once it covers enough
        (
            [f"static/js/{i}.js" for i in range(3)] + [f"static/css/{i}.css" for i in range(3)],
            ["/static/*"],
        ),
        (["a b.html"], ["/a%20b.html"]),
    ],
)
def test_collapse(keys, expected):
    assert collapse_paths(keys) == expected


def test_many_top_level_files_become_everything():
    keys = [f"f{i}.txt" for i in range(40)]
    assert collapse_paths(keys, max_paths=15) == ["/*"]


def test_never_more_than_max_paths():
    keys = [f"d{i}/f{j}.txt" for i in range(20) for j in range(2)]
    paths = collapse_paths(keys, max_paths=15, dir_threshold=50)
    assert len(paths) <= 15
    covered = [k for k in keys if any(("/" + k).startswith(p.rstrip("*")) for p in paths)]
    assert covered == keys


def test_threshold_below_two_still_terminates():
    assert collapse_paths(["a/x", "a/y"], dir_threshold=0) == ["/a/*"]
