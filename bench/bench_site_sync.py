#!/usr/bin/env python3
"""Benchmark: website sync to S3 on the emulator, s3_site_sync against its peers, side by side in one run.

    .venv/bin/python tools/emulator.py run -- .venv/bin/python bench/bench_site_sync.py
    BENCH_SITE_SYNC_FILES=1000 ...   # a quicker run (default 10000 files)

Peers: `aws s3 sync` (awscli), `community.aws.s3_sync` and `illustra.webstack.s3_site_sync` (both through
ansible-playbook, as users run them), and a bare threaded boto3 uploader as the floor for a cold upload.
Scenarios, in order, each peer with its own bucket:
  cold        empty bucket, upload the whole build;
  fresh_1pct  a fresh build: every file rewritten (all mtimes new), 1% of them with new content;
  no_change   the same build again, BENCH_SITE_SYNC_ROUNDS times (default 5) with the peers interleaved;
              the median counts (one run varies by +-20% here). `s3_site_sync_listing` is s3_site_sync
              with compare=listing (what a first deploy, or one that verifies the bucket, pays): reported,
              not a target.
Writes bench/results/site_sync.json with the times, the ratios and whether the targets are met.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import botocore.config
from _common import VENV_BIN, ansible_playbook, machine, require_emulator, write_result

FILES = int(os.environ.get("BENCH_SITE_SYNC_FILES", "10000"))
CHANGED_FRACTION = 0.01
NO_CHANGE_ROUNDS = int(os.environ.get("BENCH_SITE_SYNC_ROUNDS", "5"))
WORKERS = 16
PEERS = ["aws_s3_sync", "community_aws_s3_sync", "s3_site_sync", "boto3_threaded"]
TARGETS = {
    "fresh_1pct_vs_aws_s3_sync": 5.0,  # s3_site_sync at least 5x faster
    "fresh_1pct_vs_community_aws_s3_sync": 10.0,  # at least 10x faster
    "no_change_vs_aws_s3_sync": 1.0,  # no slower
    "cold_vs_boto3_threaded": 1.2,  # within 1.2x of the floor
}


def _pick(kinds: list[tuple[str, str, float]], roll: float) -> tuple[str, str]:
    acc = 0.0
    for directory, ext, share in kinds:
        acc += share
        if roll <= acc:
            return directory, ext
    return kinds[-1][0], kinds[-1][1]


def build_site(root: Path, files: int, seed: int = 1) -> list[Path]:
    """A React-like build: hashed JS/CSS/media under static/, some HTML and JSON at the top."""
    rng = random.Random(seed)
    kinds = [("static/js", ".js", 0.35), ("static/css", ".css", 0.15), ("static/media", ".svg", 0.3)]
    kinds += [("static/media", ".png", 0.15), ("pages", ".html", 0.05)]
    paths = []
    for i in range(files):
        directory, ext = _pick(kinds, rng.random())
        sub = f"{directory}/{i % 50:02d}"
        path = root / sub / f"chunk{i}.{rng.getrandbits(32):08x}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(512, 6144)))
        paths.append(path)
    (root / "index.html").write_text("<!doctype html><title>bench</title>")
    paths.append(root / "index.html")
    return paths


def fresh_build(root: Path, paths: list[Path], fraction: float, seed: int = 2) -> int:
    """Rewrite every file (new mtimes, as a fresh `npm run build`); change the content of `fraction` of them."""
    rng = random.Random(seed)
    changed = set(rng.sample(range(len(paths)), max(1, int(len(paths) * fraction))))
    for i, path in enumerate(paths):
        data = path.read_bytes()
        if i in changed:
            data += b"\n/* changed */"
        path.write_bytes(data)
    return len(changed)


def _ansible(playbook: str) -> tuple[float, dict]:
    """Run a one-task playbook as users run it: (seconds, the task's result)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="bench-site-sync-", delete=False) as f:
        f.write(playbook)
    try:
        elapsed, data, _ = ansible_playbook([f.name])
    finally:
        os.unlink(f.name)
    results = [h for p in data.get("plays", []) for t in p["tasks"] for h in t["hosts"].values()]
    return elapsed, results[-1] if results else {}


def run_s3_site_sync(bucket: str, src: Path, compare: str = "state") -> tuple[float, int]:
    playbook = f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Sync
      illustra.webstack.s3_site_sync:
        bucket: {bucket}
        src: {src}
        max_delete: 0
        workers: {WORKERS}
        compare: {compare}
"""
    elapsed, result = _ansible(playbook)
    if result["site_sync"]["compared_with"] != compare and compare == "listing":
        raise SystemExit(f"s3_site_sync compared with {result['site_sync']['compared_with']}, not {compare}")
    return elapsed, len(result["site_sync"]["uploaded"])


def run_s3_site_sync_listing(bucket: str, src: Path) -> tuple[float, int]:
    return run_s3_site_sync(bucket, src, compare="listing")


def run_community_s3_sync(bucket: str, src: Path) -> tuple[float, int]:
    playbook = f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Sync
      community.aws.s3_sync:
        bucket: {bucket}
        file_root: {src}
        mode: push
        delete: true
"""
    elapsed, result = _ansible(playbook)
    return elapsed, len(result.get("uploads") or [])


def run_aws_s3_sync(bucket: str, src: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [str(VENV_BIN / "aws"), "s3", "sync", str(src), f"s3://{bucket}", "--delete", "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"aws s3 sync failed: {proc.stderr[-2000:]}")
    return elapsed, sum(1 for line in proc.stdout.splitlines() if line.startswith("upload:"))


def run_boto3_threaded(bucket: str, src: Path) -> tuple[float, int]:
    """The floor: upload every file with a thread pool, no listing, no comparison."""
    start = time.perf_counter()
    s3 = boto3.client("s3", config=botocore.config.Config(max_pool_connections=WORKERS + 2))
    files = [p for p in src.rglob("*") if p.is_file()]

    def put(path: Path) -> None:
        s3.put_object(Bucket=bucket, Key=path.relative_to(src).as_posix(), Body=path.read_bytes())

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(put, files))
    return time.perf_counter() - start, len(files)


RUNNERS = {
    "aws_s3_sync": run_aws_s3_sync,
    "community_aws_s3_sync": run_community_s3_sync,
    "s3_site_sync": run_s3_site_sync,
    "s3_site_sync_listing": run_s3_site_sync_listing,  # same bucket as s3_site_sync
    "boto3_threaded": run_boto3_threaded,
}


def _empty_and_delete(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def main() -> int:
    require_emulator("bench/bench_site_sync.py")
    s3 = boto3.client("s3")
    load_before = os.getloadavg()
    suffix = f"{os.getpid()}"
    buckets = {peer: f"bench-site-sync-{peer.replace('_', '-')}-{suffix}" for peer in PEERS}
    times: dict[str, dict[str, float]] = {"cold": {}, "fresh_1pct": {}, "no_change": {}}
    uploads: dict[str, dict[str, int]] = {"cold": {}, "fresh_1pct": {}, "no_change": {}}
    samples: dict[str, list[float]] = {}  # no_change, every round
    work = Path(tempfile.mkdtemp(prefix="bench-site-sync-"))
    try:
        for bucket in buckets.values():
            s3.create_bucket(Bucket=bucket)
        site = work / "build"
        paths = build_site(site, FILES)
        print(f"site: {len(paths)} files, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB", flush=True)
        for peer in PEERS:
            times["cold"][peer], uploads["cold"][peer] = RUNNERS[peer](buckets[peer], site)
            print(f"cold        {peer:24s} {times['cold'][peer]:7.2f}s  uploads={uploads['cold'][peer]}", flush=True)
        changed = fresh_build(site, paths, CHANGED_FRACTION)
        compared = [p for p in PEERS if p != "boto3_threaded"]  # the floor is measured for the cold upload only
        for peer in compared:
            times["fresh_1pct"][peer], uploads["fresh_1pct"][peer] = RUNNERS[peer](buckets[peer], site)
            print(f"fresh_1pct  {peer:24s} {times['fresh_1pct'][peer]:7.2f}s  uploads={uploads['fresh_1pct'][peer]}")
        # community.aws.s3_sync takes a minute a round: once is enough to place it.
        for round_ in range(NO_CHANGE_ROUNDS):
            for peer in [*compared, "s3_site_sync_listing"]:
                if peer == "community_aws_s3_sync" and round_:
                    continue
                bucket = buckets["s3_site_sync" if peer == "s3_site_sync_listing" else peer]
                elapsed, count = RUNNERS[peer](bucket, site)
                samples.setdefault(peer, []).append(round(elapsed, 3))
                uploads["no_change"][peer] = max(count, uploads["no_change"].get(peer, 0))
                print(f"no_change   {peer:24s} {elapsed:7.2f}s  uploads={count}  (round {round_ + 1})", flush=True)
        times["no_change"] = {peer: statistics.median(values) for peer, values in samples.items()}
    finally:
        for bucket in buckets.values():
            try:
                _empty_and_delete(s3, bucket)
            except Exception as exc:
                print(f"cleanup of {bucket}: {exc}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)

    ours = times
    ratios = {
        "fresh_1pct_vs_aws_s3_sync": ours["fresh_1pct"]["aws_s3_sync"] / ours["fresh_1pct"]["s3_site_sync"],
        "fresh_1pct_vs_community_aws_s3_sync": ours["fresh_1pct"]["community_aws_s3_sync"]
        / ours["fresh_1pct"]["s3_site_sync"],
        "no_change_vs_aws_s3_sync": ours["no_change"]["s3_site_sync"] / ours["no_change"]["aws_s3_sync"],
        "cold_vs_boto3_threaded": ours["cold"]["s3_site_sync"] / ours["cold"]["boto3_threaded"],
        # not a target: the listing path (first deploy, or compare=listing)
        "no_change_listing_vs_aws_s3_sync": ours["no_change"]["s3_site_sync_listing"]
        / ours["no_change"]["aws_s3_sync"],
    }
    met = {
        "fresh_1pct_vs_aws_s3_sync": ratios["fresh_1pct_vs_aws_s3_sync"] >= TARGETS["fresh_1pct_vs_aws_s3_sync"],
        "fresh_1pct_vs_community_aws_s3_sync": ratios["fresh_1pct_vs_community_aws_s3_sync"]
        >= TARGETS["fresh_1pct_vs_community_aws_s3_sync"],
        "no_change_vs_aws_s3_sync": ratios["no_change_vs_aws_s3_sync"] <= TARGETS["no_change_vs_aws_s3_sync"],
        "cold_vs_boto3_threaded": ratios["cold_vs_boto3_threaded"] <= TARGETS["cold_vs_boto3_threaded"],
    }
    only_changed = (
        uploads["fresh_1pct"]["s3_site_sync"] == changed
        and uploads["no_change"]["s3_site_sync"] == 0
        and uploads["no_change"]["s3_site_sync_listing"] == 0
    )
    result = {
        "benchmark": "site_sync",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(load_before),
        "files": len(paths),
        "changed_files_in_fresh_build": changed,
        "seconds": times,
        "no_change_rounds": samples,
        "uploads": uploads,
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "targets": TARGETS,
        "targets_met": met,
        "s3_site_sync_uploaded_only_changed": only_changed,
        "notes": "ratios: fresh/no_change against peers are peer_time / ours for speed-ups, ours / peer for "
        "no-slower and within-floor; ansible peers include ansible-playbook start-up, as users run them. "
        "s3_site_sync compares with its sync state (one GET); s3_site_sync_listing lists the bucket.",
    }
    write_result("site_sync", result)
    print(json.dumps({"ratios": result["ratios"], "targets_met": met, "only_changed": only_changed}, indent=2))
    return 0 if all(met.values()) and only_changed else 1


if __name__ == "__main__":
    sys.exit(main())
