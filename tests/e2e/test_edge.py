"""The edge on the data plane: validation with every HTTP gate on, and a website release rolled back by a gate.

Staging (its CloudFront domain, the load balancer over HTTP behind the origin-verify header) and prod
(the custom domain, HTTPS everywhere) run as real software (tests/e2e/conftest.py): hosts booted from
their user data, HAProxy for the ALB, nginx for CloudFront and ModSecurity/CRS for the WAF. site.yml
runs again with every HTTP gate on: nothing changes, every gate is ok (none skipped), and the run ends
with its summary. Then staging gets a website release without index.html: its gate fails, the website
rolls back by itself and the previous release serves again.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from dataplane import cli  # noqa: E402
from edge_http import fetch  # noqa: E402

EXAMPLE_BUILD = ROOT / "examples" / "frontend" / "build"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.MULTILINE)


def plane_of(request, env: str):
    return request.getfixturevalue("plane" if env == "prod" else "staging_plane")


def site_run(plane, env: str, report_dir: Path, log: str, **extra):
    """site.yml as `up` converged it (the example build and release), plus `extra`; returns (rc, log text, report)."""
    report_dir.chmod(0o755)  # the mode validate gives its report directory: no change to report
    extra_vars = dict(cli.converge_vars(env), validate_http_gates=True, validate_report_dir=str(report_dir), **extra)
    done = plane.playbook("site.yml", extra_vars, log=log)
    text = (plane.state.dir / log).read_text()
    report_path = report_dir / f"validate-{env}.json"
    return done.returncode, text, json.loads(report_path.read_text()) if report_path.exists() else {}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_validation_with_every_http_gate_on(request, env, tmp_path):
    plane = plane_of(request, env)
    state = plane.reload()
    rc, log, report = site_run(plane, env, tmp_path, f"site-gates-{env}.log")
    assert rc == 0, log[-3000:]

    # Every gate ran: nothing is skipped when the data plane serves the environment. The HTTP gates pass;
    # the others pass too, or fail without blocking where the policy level says so (staging's plain-HTTP
    # load balancer behind CloudFront is a finding, a flagged exception at policy level warning).
    gates = {g["gate"]: g for g in report["gates"]}
    assert list(gates) == ["website_health", "api_health", "waf_probe", "monitoring", "security", "cost"]
    assert [gates[g]["status"] for g in ("website_health", "api_health", "waf_probe")] == ["ok"] * 3, report["gates"]
    assert all(g["status"] == "ok" or (g["status"] == "failed" and not g["blocking"]) for g in gates.values()), gates
    assert report["skipped"] == [] and report["passed"] is True
    website, api = report["website"], report["api"]
    assert website["url"] == state["website_url"]
    assert website["status"] == 200
    assert website["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert website["tls"]["days_left"] >= (21 if env == "prod" else 14)
    assert website["headers"]["strict-transport-security"].startswith("max-age=")
    assert website["headers"]["x-content-type-options"] == "nosniff"
    assert website["waf_probe"] == {
        "name": "waf_probe",
        "passed": True,
        "detail": "XSS probe got 403, expected 403 (blocked)",
    }
    assert api["status"] == 200 and api["waf_probe"]["passed"] is True
    if env == "prod":
        assert website["url"] == "https://illustra-demo.example.com/"
        assert api["url"] == "https://api.illustra-demo.example.com/api/health"
    else:
        assert re.fullmatch(r"https://[a-z0-9]+\.cloudfront\.net/", website["url"])

    # The run ends with its summary; the same inputs as `up` converged changed nothing anywhere.
    summary = log[log.index(f"SUMMARY of illustra {env}") :]
    assert f"website URL        {state['website_url']}" in summary
    assert "validation         passed" in summary and "skipped" not in summary
    recap = RECAP.findall(log)
    assert recap and all(failed == "0" for _, _, failed in recap), recap
    assert "changed            nothing" in summary, summary


def test_every_resolve_entry_is_served_plain_http_included(plane):
    """Every name and port of the resolve entries answers: HTTP redirects to HTTPS, HTTPS verifies by name."""
    state = plane.reload()
    names = {}
    for entry in state["resolve"]:
        host, port, _ = entry.rsplit(":", 2)
        names.setdefault(host, set()).add(int(port))
    assert {"illustra-demo.example.com", "www.illustra-demo.example.com", "api.illustra-demo.example.com"} <= set(names)
    for host, ports in sorted(names.items()):
        assert ports == {80, 443}, (host, ports)
        status, headers, _ = fetch(state, f"http://{host}/api/health")
        assert status == 301, (host, status)
        assert headers["location"].startswith(f"https://{host}") and headers["location"].endswith("/api/health")
        if host.endswith(".elb.amazonaws.com"):
            continue  # as on AWS, the load balancer's own name is not on its certificate
        status, _, body = fetch(state, f"https://{host}/api/health")
        assert status == 200 and json.loads(body)["database"] == "up", (host, status, body[:200])


def test_a_website_release_that_fails_a_gate_is_rolled_back(staging_plane, tmp_path):
    plane = staging_plane
    state = plane.reload()
    status, _, good = fetch(state, state["website_url"])
    assert status == 200 and b'<div id="root">' in good

    # A build that lost its index.html: the website gate gets S3's 403 through CloudFront.
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE_BUILD, broken)
    (broken / "index.html").unlink()
    rc, log, report = site_run(plane, "staging", tmp_path, "site-broken-release.log", website_build_dir=str(broken))
    assert rc != 0
    assert "rolled back: website" in log, log[-3000:]
    gate = next(g for g in report["gates"] if g["gate"] == "website_health")
    assert gate["status"] == "failed" and any("status 403" in d for d in gate["details"]), gate

    # The previous release serves again, byte for byte.
    status, _, body = fetch(state, state["website_url"])
    assert (status, body) == (200, good)
