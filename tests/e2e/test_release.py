"""Releases that really roll: an instance refresh replaces the hosts in batches while requests keep flowing.

A bounded request loop runs against the load balancer stand-in during the release and must see no failed
request; its numbers go to bench/results/release.json. A broken release (its API answers 500) fails the
refresh on target health and rolls back by itself; the previous release serves again.
"""

from __future__ import annotations

import json
import shutil
import ssl
import statistics
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from dataplane import cli, runner
from dataplane_test import ROOT, backend_hosts

RESULTS = ROOT / "bench" / "results" / "release.json"
# The request loop's bounds: never more than this many requests, nor longer than this.
MAX_REQUESTS = 20000
MAX_SECONDS = 2400
# One request every PACE seconds per client, two clients: load, not a flood of a 2-core machine.
PACE = 0.25
CLIENTS = 2


class Load:
    """A bounded request loop through the load balancer stand-in (a new connection per request)."""

    def __init__(self, state, path: str = "/products") -> None:
        self.url = f"{state['api_url']}{path}"
        self.context = ssl.create_default_context(cafile=state["ca_bundle"])
        self.state = state
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def client(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline:
            with self.lock:
                if len(self.latencies) + len(self.errors) >= MAX_REQUESTS:
                    return
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=15, context=self.context) as resp:
                    body = json.loads(resp.read())
                    ok = resp.status == 200 and body.get("count") == 3
                error = None if ok else f"status {resp.status}: {body}"
            except Exception as exc:  # every failure counts, whatever it is
                error = f"{type(exc).__name__}: {exc}"
            elapsed = time.monotonic() - started
            with self.lock:
                if error:
                    self.errors.append(error)
                else:
                    self.latencies.append(elapsed)
            time.sleep(max(0.0, PACE - elapsed))

    def __enter__(self):
        self.resolving = runner.resolving(self.state)
        self.resolving.__enter__()
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        self.resolving.__exit__(*exc)

    def summary(self) -> dict:
        latencies = sorted(self.latencies)
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
        return {
            "requests": len(self.latencies) + len(self.errors),
            "errors": len(self.errors),
            "error_samples": self.errors[:10],
            "p95_latency_ms": round(p95 * 1000, 1) if p95 is not None else None,
            "median_latency_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        }


def _refresh_history(aws, since: float) -> list[dict]:
    refreshes = aws("autoscaling").describe_instance_refreshes(AutoScalingGroupName="illustra-prod-backend")
    return [r for r in refreshes["InstanceRefreshes"] if r["StartTime"].timestamp() >= since - 5]


def _healthy_targets(aws) -> list[str]:
    elbv2 = aws("elbv2")
    (group,) = elbv2.describe_target_groups(Names=["illustra-prod-web"])["TargetGroups"]
    health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    return sorted(t["Target"]["Id"] for t in health if t["TargetHealth"]["State"] == "healthy")


class Watch(threading.Thread):
    """Samples the refresh's status and the healthy targets every few seconds (bounded by the release)."""

    def __init__(self, aws, since: float) -> None:
        super().__init__(daemon=True)
        self.aws, self.since = aws, since
        self.stop = threading.Event()
        self.samples: list[dict] = []

    def run(self) -> None:
        while not self.stop.wait(3):
            try:
                refresh = (_refresh_history(self.aws, self.since) or [{}])[0]
                self.samples.append(
                    {
                        "t": round(time.time() - self.since, 1),
                        "status": refresh.get("Status"),
                        "reason": refresh.get("StatusReason", ""),
                        "percent": refresh.get("PercentageComplete"),
                        "healthy": _healthy_targets(self.aws),
                    }
                )
            except Exception as exc:  # a sample lost is not a failure of the release
                self.samples.append({"t": round(time.time() - self.since, 1), "error": str(exc)})


def test_a_release_replaces_the_hosts_in_batches_with_no_failed_request(plane, aws):
    before = set(backend_hosts(plane))
    since = time.time()
    with Load(plane.reload()) as load:
        watch = Watch(aws, since)
        watch.start()
        started = time.monotonic()
        done = plane.playbook(
            "deploy_backend.yml",
            {**cli.QUICK, "webstack_confirm": "prod", "backend_release_id": "1.1.0"},
            log="release-1.1.0.log",
        )
        seconds = time.monotonic() - started
        watch.stop.set()
        watch.join(10)
    assert done.returncode == 0, (plane.state.dir / "release-1.1.0.log").read_text()[-4000:]
    result = {"release": "1.1.0", "seconds": round(seconds, 1), **load.summary(), "timeline": watch.samples}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    assert result["requests"] >= 100
    assert result["errors"] == 0, result["error_samples"]
    # Every host was replaced, and every new one serves the new release.
    after = set(backend_hosts(plane))
    assert after and not after & before
    status, body, _ = plane.get("/health")
    assert (status, body["release"]) == (200, "1.1.0")
    # In batches, keeping the minimum healthy percentage (100 % of 2): never fewer than 2 healthy targets
    # once the refresh started, and a checkpoint was honoured on the way.
    statuses = [s.get("status") for s in watch.samples]
    assert "InProgress" in statuses and statuses[-1] in ("Successful", "InProgress")
    healthy_counts = [len(s["healthy"]) for s in watch.samples if "healthy" in s and s.get("status") == "InProgress"]
    assert healthy_counts and min(healthy_counts) >= 2, watch.samples
    assert any("checkpoint" in s.get("reason", "").lower() for s in watch.samples), watch.samples
    (final,) = _refresh_history(aws, since)[:1]
    assert final["Status"] == "Successful"


def _broken_source(tmp_path: Path) -> Path:
    """The example app with every /api/* request answering 500: a release that must never go live."""
    source = tmp_path / "broken"
    shutil.copytree(ROOT / "examples" / "backend" / "app", source)
    server = source / "server.py"
    server.write_text(
        server.read_text()
        + "\n\n@app.middleware('http')\nasync def _broken(request, call_next):\n"
        + "    from fastapi.responses import JSONResponse\n"
        + "    return JSONResponse(status_code=500, content={'detail': 'broken release'})\n"
    )
    return source


def _slowest_boot(state) -> float:
    """Seconds from a backend container's start to healthy in the target group, the slowest seen on this plane."""
    seconds = [
        (
            datetime.fromisoformat(facts["healthy_at"]) - datetime.fromisoformat(facts["container_started"])
        ).total_seconds()
        for facts in (state.get("boots") or {}).values()
        if facts.get("group") and facts.get("healthy_at") and facts.get("container_started")
    ]
    assert seconds, "no backend host of this plane has become healthy yet"
    return max(seconds)


def _set_health_timeout(plane, seconds: float) -> None:
    """How long the emulator's instance refresh waits for health before it fails (a harness hook)."""
    request = urllib.request.Request(
        f"{plane.state['emulator']}/moto-api/webstack/instance-refresh",
        data=json.dumps({"HealthTimeoutSeconds": seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def test_a_broken_release_fails_on_health_and_the_previous_release_serves_again(plane, aws, tmp_path):
    status, body, _ = plane.get("/health")
    previous = body["release"]
    # The refresh gives up on health sooner than AWS's hour: it fails sooner, never passes what AWS would not.
    # The same timeout bounds the rollback's replacement, a good host that must boot: twice the slowest boot
    # this plane has seen (hosts boot for minutes on a loaded 2-core machine), never less than 4 minutes.
    _set_health_timeout(plane, min(3600, max(240, round(2 * _slowest_boot(plane.reload())))))
    since = time.time()
    try:
        done = plane.playbook(
            "deploy_backend.yml",
            {
                **cli.QUICK,
                "webstack_confirm": "prod",
                "backend_release_id": "1.2.0-broken",
                "backend_release_source_dir": str(_broken_source(tmp_path)),
            },
            log="release-broken.log",
        )
    finally:
        _set_health_timeout(plane, 3600)  # AWS's hour again for the tests after this one
    log = (plane.state.dir / "release-broken.log").read_text()
    assert done.returncode != 0
    assert "The group was returned to the last known good release" in log, log[-4000:]
    statuses = [r["Status"] for r in _refresh_history(aws, since)]
    assert any(s.startswith("Rollback") for s in statuses), statuses
    status, body, _ = plane.get("/health")
    assert (status, body["release"]) == (200, previous)
    status, body, _ = plane.get("/products")
    assert status == 200 and body["count"] == 3
