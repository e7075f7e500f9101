"""health_check: pure evaluation of a response against the expectations."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _health as health

SPEC = dict(
    expected_status=[200],
    max_latency_ms=500,
    body_contains=None,
    json_match=None,
    required_headers=[],
    min_tls_version=None,
    cert_min_days=None,
)


def _resp(**kw):
    base = dict(status=200, headers={}, body="", latency_ms=100, tls=None, error=None)
    base.update(kw)
    return base


def _failed(checks):
    return [c["name"] for c in checks if not c["passed"]]


@pytest.mark.parametrize(
    ("resp", "spec", "failed"),
    [
        (_resp(), {}, []),
        (_resp(status=502), {}, ["status"]),
        (_resp(status=301), {"expected_status": [200, 301]}, []),
        (_resp(latency_ms=900), {}, ["latency"]),
        (_resp(latency_ms=900), {"max_latency_ms": 0}, []),
        (_resp(body="<div id=root>"), {"body_contains": "id=root"}, []),
        (_resp(body="oops"), {"body_contains": "id=root"}, ["body"]),
        (_resp(body='{"status": "healthy", "db": {"ok": true}}'), {"json_match": {"db.ok": True}}, []),
        (_resp(body='{"status": "down"}'), {"json_match": {"status": "healthy"}}, ["json"]),
        (_resp(body="not json"), {"json_match": {"status": "healthy"}}, ["json"]),
        (_resp(error="ConnectionRefusedError: refused"), {}, ["connect"]),
        (_resp(tls={"version": "TLSv1.2", "days_left": 40}), {"min_tls_version": "TLSv1.2", "cert_min_days": 30}, []),
        (_resp(tls={"version": "TLSv1.1", "days_left": 40}), {"min_tls_version": "TLSv1.2"}, ["tls_version"]),
        (_resp(tls={"version": "TLSv1.3", "days_left": 3}), {"cert_min_days": 14}, ["certificate"]),
        (_resp(tls={"version": "TLSv1.3", "days_left": None}), {"cert_min_days": 14}, ["certificate"]),
        (_resp(), {"min_tls_version": "TLSv1.2"}, ["tls_version"]),
    ],
)
def test_evaluate(resp, spec, failed):
    assert _failed(health.evaluate(resp, dict(SPEC, **spec))) == failed


def test_headers_by_name_and_by_pattern():
    pairs = [("Strict-Transport-Security", "max-age=31536000"), ("X-Frame-Options", "SAMEORIGIN")]
    headers = health.lower_headers([*pairs, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert headers["set-cookie"] == "a=1, b=2"
    assert health.check_headers(headers, ["strict-transport-security", "X-Frame-Options"]) == []
    assert health.check_headers(headers, ["x-content-type-options"]) == ["missing header x-content-type-options"]
    assert health.check_headers(headers, {"strict-transport-security": r"max-age=\d{7,}"}) == []
    assert health.check_headers(headers, {"x-frame-options": "^DENY$"}) == [
        "header x-frame-options: 'SAMEORIGIN' does not match '^DENY$'"
    ]


def test_json_paths_into_lists():
    assert health.check_json('{"items": [{"ok": 1}]}', {"items.0.ok": 1}) == []
    assert health.check_json('{"items": []}', {"items.0.ok": 1}) == ["JSON items.0.ok is missing"]


@pytest.mark.parametrize(
    ("attempts", "initial", "maximum", "delays"),
    [(1, 2, 30, []), (3, 2, 30, [2, 4]), (5, 2, 5, [2, 4, 5, 5]), (3, 0.1, 30, [0.1, 0.2])],
)
def test_backoff(attempts, initial, maximum, delays):
    assert health.backoff_delays(attempts, initial, 2.0, maximum) == pytest.approx(delays)


def test_waf_probe():
    assert health.probe_url("https://x/") == "https://x/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    assert health.probe_url("https://x/?a=1").startswith("https://x/?a=1&q=")
    assert health.evaluate_waf(_resp(status=403), 403)["passed"]
    assert health.evaluate_waf(_resp(status=200), 403) == {
        "name": "waf_probe",
        "passed": False,
        "detail": "XSS probe got 200, expected 403 (blocked)",
    }


def test_cert_days_left():
    # 2030-01-01 00:00:00 UTC is 1893456000.
    assert health.cert_days_left("Jan 31 00:00:00 2030 GMT", now=1893456000) == 30
    assert health.cert_days_left("Jan  1 00:00:00 2030 GMT", now=1893456000 + 86400) == -1


def test_failures_lines():
    checks = health.evaluate(_resp(status=500, latency_ms=900), SPEC)
    assert health.failures(checks) == ["status: status 500, expected one of [200]", "latency: 900 ms, limit 500 ms"]


def test_requests_carry_a_user_agent_unless_the_task_sets_one():
    # AWS WAF's core rule set (NoUserAgent_HEADER) blocks requests without one: the gate would get 403.
    assert health.request_headers({})["User-Agent"] == health.USER_AGENT
    assert health.request_headers({"user-agent": "mine", "Host": "x"}) == {"user-agent": "mine", "Host": "x"}
