#!/usr/bin/env python3
"""Run every benchmark (bench/bench_*.py) against one emulator and gather their JSON results.

`make bench` runs this under `tools/emulator.py run --`. Each benchmark writes
bench/results/<name>.json; this script writes bench/results/summary.json with all of them and
prints the ratios. Benchmarks reset the emulator themselves between scenarios.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(selected: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected]
    summary, failed = {}, []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        rc = subprocess.call([sys.executable, str(script)])
        result_file = RESULTS / f"{name}.json"
        if rc != 0:  # a benchmark fails when a target is missed or a run was not idempotent
            failed.append(name)
        if not result_file.exists():
            continue
        summary[name] = json.loads(result_file.read_text())
        summary[name]["_wall_seconds"] = round(time.monotonic() - started, 1)
        summary[name]["_passed"] = rc == 0
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    for name, result in summary.items():
        ratios = result.get("ratios", {})
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in sorted(ratios.items())))
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
