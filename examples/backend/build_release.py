#!/usr/bin/env python3
"""Build a release artifact of the example backend: a reproducible tar.gz of app/ plus release.json.

The nginx_backend role installs such an artifact into /opt/<app>/releases/<release_id>: the tarball holds
the app source at its root (server.py, requirements.txt, release.json), nothing else. The output is
byte-for-byte reproducible (sorted entries, fixed mtimes/owners, gzip without a timestamp), so the same
source and version always give the same checksum.

With `--wheels PLATFORM` (e.g. manylinux_2_17_x86_64, with `--python 3.11`), the artifact also carries the wheels of
its requirements under wheels/, downloaded for the target hosts: the role then installs the release's virtualenv from
them alone, so a host boots without a package index (and faster). Wheels are the registry's own files, so the same
requirements give the same bytes.

Usage: build_release.py --version 1.2.0 [--source DIR] [--output FILE] [--wheels PLATFORM [--python X.Y]]
(prints the artifact path)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Caches and local state never belong in a release.
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".venv", "venv", ".mypy_cache", ".ruff_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
MTIME = 0


def collect(source: Path) -> list[Path]:
    """Files to ship, relative to ``source``, in a stable order."""
    files = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in EXCLUDED_PARTS for part in relative.parts) or path.suffix in EXCLUDED_SUFFIXES:
            continue
        if path.is_file() and relative.as_posix() != "release.json":
            files.append(relative)
    return files


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = MTIME
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def download_wheels(requirements: Path, platform: str, python: str, into: Path) -> list[Path]:
    """The wheels of `requirements` (dependencies included) for hosts of `platform` and Python `python`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--platform",
            platform,
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--dest",
            str(into),
            "--requirement",
            str(requirements),
        ],
        check=True,
    )
    return sorted(into.glob("*.whl"))


def build(source: Path, output: Path, version: str, wheels: str = "", python: str = "3.11") -> Path:
    if not (source / "requirements.txt").is_file():
        raise SystemExit(f"build_release: {source}/requirements.txt is missing (the role installs from it)")
    output.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in collect(source):
            _add(tar, relative.as_posix(), (source / relative).read_bytes())
        if wheels:
            with tempfile.TemporaryDirectory() as tmp:
                for wheel in download_wheels(source / "requirements.txt", wheels, python, Path(tmp)):
                    _add(tar, f"wheels/{wheel.name}", wheel.read_bytes())
        manifest = json.dumps({"version": version}, sort_keys=True).encode() + b"\n"
        _add(tar, "release.json", manifest)
    with output.open("wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=MTIME) as gz:
        gz.write(raw.getvalue())
    return output


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="version recorded in release.json (e.g. 1.2.0)")
    parser.add_argument("--source", type=Path, default=HERE / "app", help="app source directory (default: app/)")
    parser.add_argument("--output", type=Path, help="artifact path (default: dist/backend-<version>.tar.gz)")
    parser.add_argument("--wheels", default="", metavar="PLATFORM", help="carry the requirements' wheels for PLATFORM")
    parser.add_argument("--python", default="3.11", help="the hosts' Python version for --wheels (default 3.11)")
    args = parser.parse_args(argv)
    output = args.output or HERE / "dist" / f"backend-{args.version}.tar.gz"
    path = build(args.source.resolve(), output.resolve(), args.version, args.wheels, args.python)
    print(path)
    print(f"sha256 {sha256(path)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
