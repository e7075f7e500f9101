"""The load balancer stand-in's HAProxy configuration, generated from the emulator's ELBv2 resources."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

from dataplane import alb, state  # noqa: E402

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/illustra-staging-web/1"


def _model(listeners):
    group = alb.TargetGroup(
        arn=TG, name="illustra-staging-web", port=80, path="/api/products", interval=30, timeout=5,
        healthy=2, unhealthy=3, matcher="200-202,302", deregistration_delay=30,
    )  # fmt: skip
    return alb.Model(load_balancers=[{"arn": "lb", "dns_name": "x.elb.amazonaws.com"}], listeners=listeners,
                     target_groups={TG: group})  # fmt: skip


def _staging_listener():
    # staging: HTTP only; requests carrying CloudFront's origin-verify header go to the app, others get 403.
    return alb.Listener(
        port=80, protocol="HTTP", certificate_arn=None, ssl_policy=None,
        rules=[
            {"priority": 20, "conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/admin*"]}}],
             "actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]},
            {"priority": 10, "conditions": [{"Field": "http-header", "HttpHeaderConfig": {
                "HttpHeaderName": "X-Origin-Verify", "Values": ["s3cr?t*"]}}],
             "actions": [{"Type": "forward", "TargetGroupArn": TG}]},
        ],
        default_actions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "403", "ContentType": "text/plain", "MessageBody": "Forbidden"}}],
    )  # fmt: skip


def test_rules_run_in_priority_order_and_the_default_action_only_when_none_matched(tmp_path):
    listener = _staging_listener()
    listener.rules.sort(key=lambda r: r["priority"])
    text = alb.config(_model([listener]), state.State("staging", {"dir": str(tmp_path)}), tmp_path / "s", {})
    lines = [line.strip() for line in text.splitlines()]
    assert "bind 127.0.2.10:80" in lines
    first = lines.index("http-request set-var(txn.rule) int(10) if !{ var(txn.rule) -m found } r10c0")
    second = lines.index("http-request set-var(txn.rule) int(20) if !{ var(txn.rule) -m found } r20c0")
    assert first < second
    assert 'acl r10c0 req.hdr(X-Origin-Verify) -m reg -i "^s3cr.t.*\\$"' in lines
    assert 'acl r20c0 path -m reg "^/admin.*\\$"' in lines
    assert "use_backend tg-illustra-staging-web if { var(txn.rule) -m int 10 }" in lines
    assert "http-request return status 404 if { var(txn.rule) -m int 20 }" in lines
    assert (
        'http-request return status 403 content-type "text/plain" string "Forbidden" if !{ var(txn.rule) -m found }'
        in lines
    )
    assert "retries 0" in lines
    assert "http-check expect rstatus ^(200|201|202|302)$" in lines
    _haproxy_accepts(text, tmp_path)


def test_https_listener_and_redirect(tmp_path):
    https = alb.Listener(
        port=443, protocol="HTTPS", certificate_arn="arn:cert", ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        rules=[], default_actions=[{"Type": "forward", "TargetGroupArn": TG}],
    )  # fmt: skip
    http = alb.Listener(
        port=80, protocol="HTTP", certificate_arn=None, ssl_policy=None, rules=[],
        default_actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                                  "StatusCode": "HTTP_301"}}],
    )  # fmt: skip
    from dataplane import ca

    pem = ca.issue(tmp_path, ["api.example.com"])["pem"]
    text = alb.config(_model([http, https]), state.State("prod", {"dir": str(tmp_path)}), tmp_path / "s", {443: pem})
    assert f"bind 127.0.3.10:443 ssl crt {pem} ssl-min-ver TLSv1.2 alpn http/1.1" in text
    assert "http-request redirect scheme https code 301 if !{ var(txn.rule) -m found }" in text
    assert "default_backend tg-illustra-staging-web" in text
    _haproxy_accepts(text, tmp_path)


@pytest.mark.parametrize(
    ("policy", "version"),
    [
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", "TLSv1.3"),
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", "TLSv1.2"),
        ("ELBSecurityPolicy-TLS-1-2-2017-01", "TLSv1.2"),
        ("ELBSecurityPolicy-TLS-1-1-2017-01", "TLSv1.1"),
        ("ELBSecurityPolicy-2016-08", "TLSv1.0"),
    ],
)
def test_the_policy_sets_the_oldest_tls_version(policy, version):
    assert alb.min_tls(policy) == version


def test_alb_wildcards_become_anchored_regular_expressions():
    pattern = alb.wildcard_regex("/api/*.json?")
    assert re.match(pattern, "/api/x/y.jsonp")
    assert not re.match(pattern, "/api/x.json")
    assert not re.match(pattern, "x/api/a.jsonp")


def test_unmodelled_conditions_are_refused_loudly():
    with pytest.raises(ValueError, match="source-ip"):
        alb._condition("c", {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}})


def _haproxy_accepts(text, tmp_path):
    if not shutil.which("haproxy") and not Path(alb.HAPROXY).exists():
        pytest.skip("haproxy is not installed (make setup installs it)")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text.replace("127.0.2.10", "127.0.0.1").replace("127.0.3.10", "127.0.0.1"))
    done = subprocess.run([alb.HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_haproxy_states_become_the_albs_target_health(tmp_path, monkeypatch):
    haproxy = alb.Haproxy(state.State("prod", {"dir": str(tmp_path)}))
    model = _model([])
    backend = model.target_groups[TG].backend
    now = alb.time.monotonic()
    rows = {
        "i-up-80": {"status": "UP", "check_status": "L7OK"},
        "i-new-80": {"status": "DOWN", "check_status": "L4CON"},
        "i-500-80": {"status": "DOWN", "check_status": "L7STS", "check_code": "500"},
        "i-slow-80": {"status": "DOWN", "check_status": "L7TOUT"},
        "i-gone-80": {"status": "DRAIN", "check_status": "L7OK"},
    }
    for name in rows:
        haproxy.servers[(backend, name)] = {"group": TG, "added": now - 1000, "seen_up": False, "draining_since": None}
    haproxy.servers[(backend, "i-new-80")]["added"] = now  # registered a moment ago, not yet checked enough
    haproxy.servers[(backend, "i-gone-80")]["draining_since"] = now
    monkeypatch.setattr(haproxy, "stats", lambda: {(backend, k): v for k, v in rows.items()})
    report = {t["Id"]: (t["State"], t.get("Reason")) for t in haproxy.health(model)[TG]}
    assert report == {
        "i-up": ("healthy", None),
        "i-new": ("initial", "Elb.InitialHealthChecking"),
        "i-500": ("unhealthy", "Target.ResponseCodeMismatch"),
        "i-slow": ("unhealthy", "Target.Timeout"),
        "i-gone": ("draining", "Target.DeregistrationInProgress"),
    }
    # Once up, a target that fails its checks is unhealthy, never initial again.
    rows["i-up-80"] = {"status": "DOWN", "check_status": "L4CON"}
    haproxy.servers[(backend, "i-up-80")]["added"] = now
    report = {t["Id"]: (t["State"], t.get("Reason")) for t in haproxy.health(model)[TG]}
    assert report["i-up"] == ("unhealthy", "Target.FailedHealthChecks")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def target():
    """A healthy target on loopback: an HTTP server answering 200 on /."""
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _wait_for(predicate, timeout=30.0):
    deadline = alb.time.monotonic() + timeout
    while alb.time.monotonic() < deadline:
        if predicate():
            return True
        alb.time.sleep(0.2)
    return False


def test_the_targets_keep_their_health_when_the_reconciler_or_haproxy_restarts(tmp_path, target):
    """A restarted reconciler (a new Haproxy object) takes over the running servers, and a restart of HAProxy
    (a listener changed) carries them and their health over: no target is forced down, the API stays up."""
    if not Path(alb.HAPROXY).exists():
        pytest.skip("haproxy is not installed (make setup installs it)")
    where = state.State("prod", {"dir": str(tmp_path), "addresses": {"alb": "127.0.0.1"}})
    group = alb.TargetGroup(
        arn=TG, name="illustra-prod-web", port=target, path="/", interval=1, timeout=1, healthy=3, unhealthy=2,
        matcher="200", deregistration_delay=0, targets={f"i-one-{target}": ("127.0.0.1", target)},
    )  # fmt: skip
    listener = alb.Listener(
        port=_free_port(), protocol="HTTP", certificate_arn=None, ssl_policy=None, rules=[],
        default_actions=[{"Type": "forward", "TargetGroupArn": TG}],
    )  # fmt: skip
    model = alb.Model(load_balancers=[], listeners=[listener], target_groups={TG: group})
    haproxy = alb.Haproxy(where)
    try:
        assert haproxy.apply(model)
        haproxy.sync(model)
        assert _wait_for(lambda: haproxy.health(model)[TG][0]["State"] == "healthy")

        def after_restart(proxy) -> list[str]:
            """The target's health as HAProxy reports it over the next two seconds (one sample per 0.1 s)."""
            proxy.sync(model)
            seen = []
            for _ in range(20):
                seen += [t["State"] for t in proxy.health(model)[TG]]
                alb.time.sleep(0.1)
            return seen

        # The reconciler restarts: same configuration, HAProxy keeps running.
        restarted = alb.Haproxy(where)
        assert not restarted.apply(model)
        assert set(after_restart(restarted)) == {"healthy"}
        # A listener changes: HAProxy restarts, its servers' health goes with it.
        old_pid = restarted.pid()
        model.listeners.append(
            alb.Listener(
                port=_free_port(), protocol="HTTP", certificate_arn=None, ssl_policy=None, rules=[],
                default_actions=[{"Type": "forward", "TargetGroupArn": TG}],
            )
        )  # fmt: skip
        assert restarted.apply(model)
        assert _wait_for(lambda: restarted.pid() not in (None, old_pid))
        assert set(after_restart(restarted)) == {"healthy"}
        # And the restarted HAProxy still drops a deregistered target.
        group.targets.clear()
        restarted.sync(model)
        assert (group.backend, f"i-one-{target}") not in restarted.stats()
    finally:
        haproxy.stop()
        _wait_for(lambda: haproxy.pid() is None, timeout=10)
