"""The example backend (examples/backend): its API contract and the release builder the role and the tests use.

The API runs in-process with FastAPI's TestClient, once against a real wire-compatible MongoDB server
(secantusdb, started on a free loopback port) and once against an address where nothing listens (the 503 path).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "examples" / "backend"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


server = _load("example_backend_server", BACKEND / "app" / "server.py")
build_release = _load("example_backend_build_release", BACKEND / "build_release.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mongo_url(tmp_path_factory):
    """A real MongoDB wire-protocol server (secantusdb) on loopback, stopped after the module."""
    binary = Path(sys.executable).with_name("secantusd-py")
    if not binary.exists():
        pytest.skip("secantusdb is not installed in this virtualenv")
    port = _free_port()
    data = tmp_path_factory.mktemp("secantus")
    proc = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("secantusdb did not start listening within 30 s")
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(url: str | None, db_name: str = "illustra_test") -> TestClient:
    return TestClient(server.create_app(server.Database(url=url, name=db_name, timeout_ms=500)))


def test_products_come_from_the_database(mongo_url, monkeypatch):
    monkeypatch.setenv("SEED_PRODUCTS", "true")
    with _client(mongo_url) as client:
        products = client.get("/api/products")
        health = client.get("/api/health")
    assert products.status_code == 200
    body = products.json()
    assert body["count"] == len(server.SAMPLE_PRODUCTS)
    assert [p["slug"] for p in body["products"]] == sorted(p["slug"] for p in server.SAMPLE_PRODUCTS)
    assert "_id" not in body["products"][0]
    assert health.json()["status"] == "ok"
    assert health.json()["database"] == "up"


def test_seeding_twice_keeps_one_copy(mongo_url, monkeypatch):
    monkeypatch.setenv("SEED_PRODUCTS", "1")
    for _ in range(2):
        with _client(mongo_url, "illustra_seed") as client:
            body = client.get("/api/products").json()
    assert body["count"] == len(server.SAMPLE_PRODUCTS)


@pytest.mark.parametrize(
    ("url", "database", "detail"),
    [
        (f"mongodb://127.0.0.1:{_free_port()}/?directConnection=true", "down", "database unavailable"),
        (None, "unconfigured", "MONGO_URL is not set"),
    ],
)
def test_database_outage_is_a_clear_503(url, database, detail, monkeypatch):
    monkeypatch.delenv("SEED_PRODUCTS", raising=False)
    with _client(url) as client:
        products = client.get("/api/products")
        health = client.get("/api/health")
    assert products.status_code == 503
    assert detail in products.json()["detail"]
    assert products.headers["retry-after"] == "5"
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == database


def test_release_info_reads_the_directory_and_manifest(tmp_path, monkeypatch):
    release = tmp_path / "releases" / "v9.9.9"
    release.mkdir(parents=True)
    (release / "release.json").write_text(json.dumps({"version": "9.9.9"}))
    monkeypatch.setattr(server, "HERE", release)
    assert server.release_info() == {"release": "v9.9.9", "version": "9.9.9"}


def test_release_artifact_layout_and_reproducibility(tmp_path):
    source = tmp_path / "src"
    (source / "__pycache__").mkdir(parents=True)
    (source / "server.py").write_text("app = None\n")
    (source / "requirements.txt").write_text("fastapi==0.165.0\n")
    (source / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"junk")
    first = build_release.build(source, tmp_path / "a.tar.gz", "1.0.0")
    second = build_release.build(source, tmp_path / "b.tar.gz", "1.0.0")
    other = build_release.build(source, tmp_path / "c.tar.gz", "1.0.1")
    assert build_release.sha256(first) == build_release.sha256(second)
    assert build_release.sha256(first) != build_release.sha256(other)
    with tarfile.open(first) as tar:
        assert sorted(tar.getnames()) == ["release.json", "requirements.txt", "server.py"]
        assert json.load(tar.extractfile("release.json")) == {"version": "1.0.0"}
        assert {m.uid for m in tar.getmembers()} == {0}


def test_release_artifact_carries_the_wheels_for_the_hosts_platform(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "server.py").write_text("app = None\n")
    (source / "requirements.txt").write_text("fastapi==0.165.0\n")
    asked = []

    def download(requirements, platform, python, into):
        asked.append((requirements.name, platform, python))
        for name in ("fastapi-0.165.0-py3-none-any.whl", "pydantic_core-2.50.5-cp311-cp311-manylinux_2_17_x86_64.whl"):
            (into / name).write_bytes(name.encode())
        return sorted(into.glob("*.whl"))

    monkeypatch.setattr(build_release, "download_wheels", download)
    first = build_release.build(source, tmp_path / "a.tar.gz", "1.0.0", wheels="manylinux_2_17_x86_64", python="3.11")
    again = build_release.build(source, tmp_path / "b.tar.gz", "1.0.0", wheels="manylinux_2_17_x86_64", python="3.11")
    assert asked == [("requirements.txt", "manylinux_2_17_x86_64", "3.11")] * 2
    assert build_release.sha256(first) == build_release.sha256(again)
    with tarfile.open(first) as tar:
        assert sorted(n for n in tar.getnames() if n.startswith("wheels/")) == [
            "wheels/fastapi-0.165.0-py3-none-any.whl",
            "wheels/pydantic_core-2.50.5-cp311-cp311-manylinux_2_17_x86_64.whl",
        ]


def test_release_artifact_needs_requirements(tmp_path):
    (tmp_path / "server.py").write_text("app = None\n")
    with pytest.raises(SystemExit, match=r"requirements\.txt is missing"):
        build_release.build(tmp_path, tmp_path / "out.tar.gz", "1.0.0")


def test_example_artifact_builds_from_the_repository(tmp_path):
    out = tmp_path / "backend.tar.gz"
    assert build_release.main(["--version", "1.0.0", "--output", str(out)]) == 0
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
    assert {"server.py", "requirements.txt", "release.json"} <= names
    assert not any("__pycache__" in name for name in names)
