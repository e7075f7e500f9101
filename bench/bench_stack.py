#!/usr/bin/env python3
"""Benchmark: the prod stack's infrastructure, our site.yml against the stock-module playbook, side by side.

    .venv/bin/python tools/emulator.py run -- .venv/bin/python bench/bench_stack.py
    BENCH_STACK_ROUNDS=3 ...    # more rounds (default 2, peers alternating who goes first); medians count

Peers, each from an empty emulator (reset first):
  stock     bench/reference/stack.yml, one stock amazon.aws / community.aws task per resource (~60 tasks),
            run as its README says: the baseline;
  webstack  playbooks/site.yml -i inventories/prod -e webstack_confirm=prod: preflight and the
            infrastructure stage (no build or release is named, so there is no deploy or validation).
Scenarios: create (empty account), no_change (converge again), check (--check on the converged stack).
Our no_change and check runs must report changed=0, correctness first: otherwise the benchmark fails.

The floor: every API call of our three runs, recorded by a transparent proxy (tools/fault_proxy.py with no
faults) with the emulator's time to answer each. Their sum is what one Python process making the same calls
one after another would wait. The no_change and check calls are reads: they are also replayed verbatim from
this one process, and timed.
Where the time goes: our runs' task durations, summed by role.
Writes bench/results/stack.json.
"""

from __future__ import annotations

import datetime
import http.client
import os
import statistics
import sys
import time
from urllib.parse import urlsplit

from _common import ROOT, ansible_playbook, machine, require_emulator, reset_emulator, write_result

sys.path.insert(0, str(ROOT / "tools"))
from fault_proxy import FaultProxy

ROUNDS = int(os.environ.get("BENCH_STACK_ROUNDS", "2"))
PEERS = {
    "stock": ["-i", "localhost,", str(ROOT / "bench" / "reference" / "stack.yml")],
    "webstack": [
        *(str(ROOT / "playbooks" / "site.yml"), "-i", str(ROOT / "inventories" / "prod")),
        *("-e", "webstack_confirm=prod"),
    ],
}
SCENARIOS = {"create": [], "no_change": [], "check": ["--check"]}
TARGETS = {"create": 5.0, "no_change": 5.0, "check": 4.0}  # stock seconds / ours, at least


def _env(peer: str, endpoint: str) -> dict:
    # The reference playbook reads its endpoint from MOTO_URL; ours, like every client, from AWS_ENDPOINT_URL.
    return {"MOTO_URL": endpoint} if peer == "stock" else {"AWS_ENDPOINT_URL": endpoint, "AWS_URL": endpoint}


def _seconds(duration: dict) -> float:
    if "end" not in duration:
        return 0.0
    start, end = (datetime.datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
    return (end - start).total_seconds()


def summarize(data: dict) -> dict:
    """Task count, changed count and seconds by role of one run (the JSON callback's output)."""
    by_role: dict[str, float] = {}
    tasks = [t for play in data.get("plays", []) for t in play["tasks"]]
    for task in tasks:
        name = task["task"]["name"]
        role = name.split(" : ", 1)[0] if " : " in name else "(playbook)"
        by_role[role] = by_role.get(role, 0.0) + _seconds(task["task"]["duration"])
    changed = sum(h.get("changed", 0) for h in data.get("stats", {}).values())
    return {"tasks": len(tasks), "changed": changed, "by_role": {k: round(v, 2) for k, v in sorted(by_role.items())}}


def run_peer(peer: str, endpoint: str) -> dict:
    reset_emulator(endpoint)
    out = {}
    for scenario, extra in SCENARIOS.items():
        elapsed, data, _ = ansible_playbook([*PEERS[peer], *extra], _env(peer, endpoint))
        out[scenario] = {"seconds": round(elapsed, 2), **summarize(data)}
        print(f"{peer:9s} {scenario:10s} {elapsed:7.2f}s  tasks={out[scenario]['tasks']}", flush=True)
    return out


def replay(endpoint: str, calls) -> tuple[float, int]:
    """Send the recorded calls again, one after another, from this process: (seconds, non-2xx answers)."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    errors = 0
    start = time.perf_counter()
    for call in calls:
        headers = dict(call.headers, Host=f"{parts.hostname}:{parts.port}")
        conn.request(call.method, call.path, body=call.body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        errors += resp.status >= 300
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, errors


def floor(endpoint: str) -> dict:
    reset_emulator(endpoint)
    recorded = {}
    with FaultProxy(endpoint, rate=0.0) as proxy:
        for scenario, extra in SCENARIOS.items():
            proxy.record = []
            ansible_playbook([*PEERS["webstack"], *extra], _env("webstack", proxy.endpoint))
            recorded[scenario] = proxy.record
    out = {}
    for scenario, calls in recorded.items():
        reads = [c for c in calls if not c.mutating]
        out[scenario] = {
            "api_calls": len(calls),
            "mutating_calls": len(calls) - len(reads),
            "api_seconds": round(sum(c.upstream_seconds for c in calls), 2),
        }
        if scenario != "create":  # reads against the same converged state can be sent again as they were
            seconds, errors = replay(endpoint, reads)
            out[scenario].update(replayed_calls=len(reads), replay_seconds=round(seconds, 2), replay_errors=errors)
        print(f"floor     {scenario:10s} {out[scenario]}", flush=True)
    return out


def main() -> int:
    endpoint = require_emulator("bench/bench_stack.py")
    load_before = os.getloadavg()
    rounds = []
    for round_ in range(ROUNDS):
        order = list(PEERS) if round_ % 2 == 0 else list(reversed(PEERS))
        rounds.append({peer: run_peer(peer, endpoint) for peer in order})
    api_floor = floor(endpoint)
    reset_emulator(endpoint)

    seconds = {peer: {s: statistics.median(r[peer][s]["seconds"] for r in rounds) for s in SCENARIOS} for peer in PEERS}
    ratios = {s: round(seconds["stock"][s] / seconds["webstack"][s], 2) for s in SCENARIOS}
    met = {s: ratios[s] >= TARGETS[s] for s in SCENARIOS}
    ours_changed = {s: [r["webstack"][s]["changed"] for r in rounds] for s in ("no_change", "check")}
    idempotent = all(c == 0 for counts in ours_changed.values() for c in counts)
    result = {
        "benchmark": "stack",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(load_before),
        "rounds": ROUNDS,
        "seconds": seconds,
        "ratios": ratios,
        "targets": TARGETS,
        "targets_met": met,
        "webstack_changed_when_nothing_to_change": ours_changed,
        "floor": api_floor,
        "webstack_vs_floor": {
            s: round(seconds["webstack"][s] / max(api_floor[s]["api_seconds"], 0.01), 1) for s in SCENARIOS
        },
        "webstack_seconds_by_role": {s: rounds[-1]["webstack"][s]["by_role"] for s in SCENARIOS},
        "tasks": {peer: {s: rounds[-1][peer][s]["tasks"] for s in SCENARIOS} for peer in PEERS},
        "every_round": rounds,
        "notes": "ratios are stock seconds / webstack seconds (medians over rounds). The floor's api_seconds is "
        "the emulator's own time answering our runs' calls, one after another; webstack_vs_floor is how many "
        "times that our run takes. Both peers run with the project's ansible.cfg.",
    }
    write_result("stack", result)
    print(
        {"ratios": ratios, "targets_met": met, "idempotent": idempotent, "vs_floor": result["webstack_vs_floor"]},
        flush=True,
    )
    return 0 if all(met.values()) and idempotent else 1


if __name__ == "__main__":
    sys.exit(main())
