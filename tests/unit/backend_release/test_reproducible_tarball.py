"""roles/backend_release/files/reproducible_tarball.py: two builds of the same collection give the same bytes,
so that the release's upload (amazon.aws.s3_object overwrite=different) reports changed only when content did."""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zlib
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "backend_release" / "files" / "reproducible_tarball.py"
MEMBERS = [
    ("MANIFEST.json", b'{"collection_info": {}}'),
    ("FILES.json", b'{"files": []}'),
    ("plugins/a.py", b"x = 1\n"),
]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("reproducible_tarball", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(built_at: int, members=MEMBERS) -> bytes:
    """A tarball as ansible-galaxy writes one: members stamped with the build time, a gzip header with it too."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.uname = len(data), built_at, 0o644, "builder"
            tar.addfile(info, io.BytesIO(data))
    # tarfile's gzip header takes the current time; stamp the build's so that the two builds differ there too
    data = bytearray(raw.getvalue())
    data[4:8] = built_at.to_bytes(4, "little")
    return bytes(data)


def contents(data: bytes) -> list:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return [(m.name, m.mode, tar.extractfile(m).read()) for m in tar.getmembers()]


def test_two_builds_of_the_same_content_become_the_same_bytes(script):
    first, second = build(1_700_000_000), build(1_800_000_000)
    assert first != second
    assert script.normalized(first) == script.normalized(second)


def test_it_keeps_every_member_its_order_mode_and_content(script):
    out = script.normalized(build(1_700_000_000))
    assert contents(out) == [(name, 0o644, data) for name, data in MEMBERS]
    assert zlib.decompress(out, 31)  # still a gzip stream


def test_different_content_stays_different(script):
    changed = [*MEMBERS[:2], ("plugins/a.py", b"x = 2\n")]
    assert script.normalized(build(1, changed)) != script.normalized(build(1))


def test_main_rewrites_only_when_the_bytes_differ(script, tmp_path, capsys):
    path = tmp_path / "illustra-webstack-0.1.0.tar.gz"
    path.write_bytes(build(1_700_000_000))
    script.main(str(path))
    assert capsys.readouterr().out == "changed\n"
    normalized = path.read_bytes()
    script.main(str(path))
    assert capsys.readouterr().out == ""
    assert path.read_bytes() == normalized
