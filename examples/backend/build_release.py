#!/usr/bin/env python3
"""Build a release artifact of the example backend: a reproducible tar.gz of app/ plus release.json.

The nginx_backend role installs such an artifact into /opt/<app>/releases/<release_id>: the tarball holds
the app source at its root (server.py, requirements.txt, release.json), nothing else. The output is
byte-for-byte reproducible (sorted entries, fixed mtimes/owners, gzip without a timestamp), so the same
source and version always give the same checksum.

Usage: build_release.py --version 1.2.0 [--source DIR] [--output FILE]   (prints the artifact path)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile
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


def build(source: Path, output: Path, version: str) -> Path:
    if not (source / "requirements.txt").is_file():
        raise SystemExit(f"build_release: {source}/requirements.txt is missing (the role installs from it)")
    output.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in collect(source):
            _add(tar, relative.as_posix(), (source / relative).read_bytes())
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
    args = parser.parse_args(argv)
    output = args.output or HERE / "dist" / f"backend-{args.version}.tar.gz"
    path = build(args.source.resolve(), output.resolve(), args.version)
    print(path)
    print(f"sha256 {sha256(path)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
