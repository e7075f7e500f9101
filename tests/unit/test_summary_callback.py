"""The end-of-run summary (playbooks/callback_plugins/webstack_summary.py): what the operator reads last."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "webstack_summary", ROOT / "playbooks" / "callback_plugins" / "webstack_summary.py"
)
summary_callback = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary_callback)

SUMMARY = {
    "project": "illustra",
    "environment": "prod",
    "endpoints": {
        "website": "https://illustra-demo.example.com/",
        "api": "https://api.illustra-demo.example.com/api/health",
        "cloudfront_domain": "d1.cloudfront.net",
        "alb_dns_name": "illustra-prod-1.us-east-1.elb.amazonaws.com",
    },
    "zone": {
        "name": "illustra-demo.example.com",
        "name_servers": ["ns-1.awsdns-1.com", "ns-2.awsdns-2.net"],
        "new": True,
    },
    "cost": {"total_usd": 237.13, "budget_usd": 250, "percent_of_budget": 94.9, "within_budget": True},
    "validation": {"reason": ""},
}
GATES = [
    {"gate": "website_health", "status": "ok", "blocking": True, "details": ["status: ok"]},
    {"gate": "api_health", "status": "ok", "blocking": True, "details": []},
    {"gate": "waf_probe", "status": "skipped", "blocking": True, "details": ["skipped: HTTP gates off"]},
    {"gate": "cost", "status": "ok", "blocking": True, "details": ["within"]},
]


def text(*args, **kwargs):
    return "\n".join(summary_callback.render(*args, **kwargs))


def test_every_part_of_the_summary():
    out = text(SUMMARY, {"vpc": 3, "alb": 1}, GATES)
    assert "website URL        https://illustra-demo.example.com/" in out
    assert "API URL            https://api.illustra-demo.example.com/api/health" in out
    assert "CloudFront domain  d1.cloudfront.net" in out
    assert "ALB DNS name       illustra-prod-1.us-east-1.elb.amazonaws.com" in out
    assert "set these at the registrar of illustra-demo.example.com" in out and "  ns-2.awsdns-2.net" in out
    assert "~$237.13/month estimated, budget $250.00 (94.9% of it)" in out
    assert "changed            vpc 3, alb 1 (4 changed tasks)" in out


def test_skipped_gates_are_named_skipped_never_ok():
    out = text(SUMMARY, {}, GATES)
    assert "validation         passed, 1 skipped" in out
    assert "  waf_probe          skipped: HTTP gates off" in out
    assert "  website_health     ok" in out
    assert "changed            nothing" in out


def test_a_failed_gate_fails_the_verdict_and_says_why():
    gates = [dict(GATES[0], status="failed", details=["status: status 403, expected one of [200]"]), *GATES[1:]]
    out = text(SUMMARY, {}, gates, failed_at="Fail when a blocking gate did not pass")
    assert "validation         FAILED, 1 skipped" in out
    assert "website_health     FAILED: status: status 403" in out
    assert "run                FAILED at: Fail when a blocking gate did not pass" in out


def test_a_gate_that_fails_without_blocking_is_named():
    gates = [*GATES, {"gate": "security", "status": "failed", "blocking": False, "details": ["high ALB-001 ..."]}]
    out = text(SUMMARY, {}, gates)
    assert "validation         passed, 1 failed without blocking (policy level), 1 skipped" in out
    assert "  security           FAILED: high ALB-001 ..." in out


def test_validation_that_did_not_run_is_skipped_with_its_reason():
    summary = dict(
        SUMMARY, validation={"reason": "infrastructure only: no website build or backend release in this run"}
    )
    out = text(summary, {})
    assert "validation         skipped: infrastructure only" in out


def test_an_old_zone_shows_no_name_servers_and_over_budget_is_loud():
    summary = dict(SUMMARY, zone=dict(SUMMARY["zone"], new=False))
    summary["cost"] = dict(SUMMARY["cost"], total_usd=300, within_budget=False, percent_of_budget=120.0)
    out = text(summary, {}, GATES)
    assert "name servers" not in out
    assert "OVER BUDGET" in out


def test_check_mode_says_what_would_change():
    out = text(SUMMARY, {"cloudfront": 1}, GATES, check=True)
    assert "would change (--check) cloudfront 1 (1 changed task)" in out
