"""Boot time: from the start of an instance's user data to its target being healthy, against the grace period.

The reconciler records, per instance, when its user data started (the bootstrap log's first line) and when
HAProxy first saw its target healthy. Every boot measured so far goes to bench/results/boot.json, with the
health check grace period it must stay within.
"""

from __future__ import annotations

import json
from datetime import datetime

import yaml
from dataplane_test import ROOT

RESULTS = ROOT / "bench" / "results" / "boot.json"


def _grace() -> int:
    prod = yaml.safe_load((ROOT / "inventories" / "prod" / "group_vars" / "all" / "asg.yml").read_text())
    defaults = yaml.safe_load((ROOT / "roles" / "asg" / "defaults" / "main.yml").read_text())
    return int(prod.get("asg_health_check_grace_period", defaults["asg_health_check_grace_period"]))


def _seconds(start: str, end: str) -> float:
    return (
        datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def test_backend_hosts_become_healthy_within_the_grace_period(plane):
    boots = plane.reload().get("boots", {})
    measured = {
        iid: {
            "user_data_to_healthy_s": _seconds(facts["user_data_started"], facts["healthy_at"]),
            "container_to_healthy_s": _seconds(facts["container_started"], facts["healthy_at"]),
        }
        for iid, facts in boots.items()
        if facts.get("group") and facts.get("healthy_at") and facts.get("user_data_started")
    }
    assert measured, boots
    grace = _grace()
    worst = max(m["user_data_to_healthy_s"] for m in measured.values())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "what": "seconds from the start of a backend instance's user data to its target being healthy",
                "image": "baked with the collection's install tasks (tools/dataplane/bake.yml)",
                "health_check_grace_period_s": grace,
                "worst_s": worst,
                "boots": measured,
                "up_seconds": plane.state.get("up_seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    assert worst < grace, f"a host took {worst:.0f}s to become healthy; the grace period is {grace}s"
