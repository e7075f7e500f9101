"""Sync planning: what to upload and delete, in which order, the max_delete guard, ETags, the local scan."""

import hashlib

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _site_sync as plan


def etag(text):
    return f'"{hashlib.md5(text.encode()).hexdigest()}"'


@pytest.mark.parametrize(
    ("local", "remote", "create", "update", "delete"),
    [
        ({}, {}, [], [], []),
        ({"a.js": etag("a")}, {}, ["a.js"], [], []),
        ({"a.js": etag("a")}, {"a.js": etag("a")}, [], [], []),
        ({"a.js": etag("a2")}, {"a.js": etag("a")}, [], ["a.js"], []),
        ({}, {"old.js": etag("o")}, [], [], ["old.js"]),
        # release manifests are never deleted
        ({}, {".webstack/releases/r1.json": etag("m")}, [], [], []),
    ],
)
def test_plan_compares_content(local, remote, create, update, delete):
    result = plan.plan_sync(local, remote)
    assert (result["create"], result["update"], result["delete"]) == (create, update, delete)
    assert result["unchanged"] == len(local) - len(create) - len(update)


def test_assets_are_uploaded_before_html():
    local = {k: etag(k) for k in ["index.html", "b.css", "a/index.html", "static/js/x.js", "z.png"]}
    result = plan.plan_sync(local, {})
    assert result["upload"] == ["b.css", "static/js/x.js", "z.png", "a/index.html", "index.html"]


def test_excluded_keys_are_never_deleted():
    remote = {"downloads/big.zip": etag("z"), "old.js": etag("o")}
    result = plan.plan_sync({}, remote, excludes=["downloads/*"])
    assert result["delete"] == ["old.js"]


def test_delete_false_keeps_stale_keys():
    assert plan.plan_sync({}, {"old.js": etag("o")}, delete=False)["delete"] == []


def test_max_delete_refuses_and_names_the_fix():
    remote = {f"k{i}": etag(str(i)) for i in range(5)}
    with pytest.raises(plan.PlanError, match="max_delete=4") as err:
        plan.plan_sync({}, remote, max_delete=4)
    assert "force_delete" in str(err.value)
    assert plan.plan_sync({}, remote, max_delete=5)["delete"] == sorted(remote)
    assert len(plan.plan_sync({}, remote, max_delete=1, force_delete=True)["delete"]) == 5


def test_force_uploads_unchanged_content():
    result = plan.plan_sync({"a.js": etag("a")}, {"a.js": etag("a")}, force_upload=True)
    assert result["update"] == ["a.js"]


@pytest.mark.parametrize("size", [0, 1, 5 * 1024 * 1024 - 1])
def test_single_part_etag_is_md5(size):
    data = b"x" * size
    assert plan.md5_etag(data, 5 * 1024 * 1024, 5 * 1024 * 1024) == f'"{hashlib.md5(data).hexdigest()}"'


def test_multipart_etag_is_md5_of_part_md5s():
    chunk = 5 * 1024 * 1024
    data = b"a" * chunk + b"b" * 10
    parts = hashlib.md5(data[:chunk]).digest() + hashlib.md5(data[chunk:]).digest()
    assert plan.md5_etag(data, chunk, chunk) == f'"{hashlib.md5(parts).hexdigest()}-2"'


def test_scan_tree_keys_excludes_and_precompressed(tmp_path):
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<html>")
    (tmp_path / "static" / "js" / "a.js").write_text("a")
    (tmp_path / "static" / "js" / "a.js.br").write_bytes(b"BR")
    (tmp_path / "static" / "js" / "a.js.gz").write_bytes(b"GZ")
    (tmp_path / "notes.tmp").write_text("x")
    (tmp_path / ".webstack").mkdir()
    (tmp_path / ".webstack" / "x").write_text("x")

    sources, encodings = plan.scan_tree(str(tmp_path), ["*.tmp"])
    assert sorted(sources) == ["index.html", "static/js/a.js", "static/js/a.js.br", "static/js/a.js.gz"]
    assert set(encodings.values()) == {None}

    sources, encodings = plan.scan_tree(str(tmp_path), ["*.tmp"], "br")
    assert sorted(sources) == ["index.html", "static/js/a.js", "static/js/a.js.gz"]
    assert sources["static/js/a.js"].endswith("a.js.br")
    assert encodings["static/js/a.js"] == "br"

    sources, encodings = plan.scan_tree(str(tmp_path), ["*.tmp"], "gzip")
    assert sorted(sources) == ["index.html", "static/js/a.js", "static/js/a.js.br"]
    assert encodings["static/js/a.js"] == "gzip"
