"""health_check against real local servers: nginx (plain and TLS, self-signed cert made here) and a Python server.

nginx plays the website/API: security headers, a JSON health endpoint, a broken route, and a
WAF stand-in that answers an XSS query with 403. The Python server plays a slow and a flaky backend.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from webstack_test import run_playbook

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")

SECURITY_HEADERS = """
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy strict-origin-when-cross-origin always;
"""

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type text/html;
    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        # WAF stand-in: block a script tag in the query like the AWS managed XSS rule does.
        if ($args ~* "(<|%3C)script") {{ return 403; }}
        location = / {{ {headers} return 200 '<html><div id="root"></div></html>'; }}
        location = /api/health {{ {headers} default_type application/json;
            return 200 '{{"status": "healthy", "db": {{"connected": true}}, "version": "1.4.2"}}'; }}
        location = /noheaders {{ return 200 'plain'; }}
        location = /broken {{ {headers} return 502 'bad gateway'; }}
    }}
    server {{
        # A server that still stops at TLS 1.2.
        listen 127.0.0.1:{tls12_port} ssl;
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        ssl_protocols TLSv1.2;
        location / {{ {headers} return 200 'tls12'; }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, valid 30 days, generated with openssl."""
    tmp = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    return tmp


@pytest.fixture(scope="module")
def nginx(tls_cert):
    """Our own nginx on two loopback ports, stopped by PID afterwards."""
    tmp = tls_cert
    http_port, https_port, tls12_port = _free_port(), _free_port(), _free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=tmp, http_port=http_port, https_port=https_port, tls12_port=tls12_port, headers=SECURITY_HEADERS
        )
    )
    subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp)], check=True, capture_output=True)
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.PIPE)
    try:
        _wait_port(http_port)
        _wait_port(https_port)
        _wait_port(tls12_port)
        yield {
            "http": f"http://127.0.0.1:{http_port}",
            "https": f"https://127.0.0.1:{https_port}",
            "tls12": f"https://127.0.0.1:{tls12_port}",
            "ca": tmp / "cert.pem",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Backend(BaseHTTPRequestHandler):
    flaky_left = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/slow":
            time.sleep(0.6)
            self._send(200, b'{"status": "healthy"}')
        elif path == "/flaky":
            if _Backend.flaky_left > 0:
                _Backend.flaky_left -= 1
                self._send(503, b"warming up")
            else:
                self._send(200, b'{"status": "healthy"}')
        else:
            self._send(404, b"not found")

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def python_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run_checks(tmp_path, checks: dict[str, dict]):
    """One playbook, one health_check task per entry (fail_on_error false), results by name."""
    tasks = [
        {"name": name, "illustra.webstack.health_check": dict({"fail_on_error": False}, **args)}
        for name, args in checks.items()
    ]
    play = [{"name": "Health checks", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    path = tmp_path / "checks.yml"
    path.write_text(json.dumps(play))
    run = run_playbook(str(path), inventory="inventories/dev")
    assert run.rc == 0, run.summary() + run.stderr[-2000:]
    assert run.changed == 0
    return {name: run.result(name)["health_check"] for name in checks}


def test_health_checks_against_nginx_and_python(tmp_path, nginx, python_server):
    _Backend.flaky_left = 2
    fast = {"retries": 1, "backoff": 0.1}
    r = _run_checks(
        tmp_path,
        {
            "website ok": dict(fast, url=nginx["http"] + "/", body_contains='<div id="root">', waf_probe=True),
            "api json ok": dict(
                fast,
                url=nginx["https"] + "/api/health",
                ca_path=str(nginx["ca"]),
                json_match={"status": "healthy", "db.connected": True},
                required_headers={"strict-transport-security": r"max-age=\d{7,}", "x-frame-options": "DENY"},
                min_tls_version="TLSv1.2",
                cert_min_days=20,
                max_latency_ms=2000,
            ),
            "json mismatch": dict(fast, url=nginx["http"] + "/api/health", json_match={"version": "9.9.9"}),
            "missing headers": dict(fast, url=nginx["http"] + "/noheaders"),
            "wrong status": dict(fast, url=nginx["http"] + "/broken"),
            "cert expiring": dict(fast, url=nginx["https"] + "/", ca_path=str(nginx["ca"]), cert_min_days=60),
            "untrusted cert": dict(fast, url=nginx["https"] + "/"),
            "tls 1.3 wanted": dict(fast, url=nginx["https"] + "/", ca_path=str(nginx["ca"]), min_tls_version="TLSv1.3"),
            "tls 1.2 only": dict(fast, url=nginx["tls12"] + "/", ca_path=str(nginx["ca"]), min_tls_version="TLSv1.3"),
            "no waf": dict(fast, url=python_server + "/slow", required_headers=[], waf_probe=True),
            "too slow": dict(fast, url=python_server + "/slow", required_headers=[], max_latency_ms=300),
            "flaky then ok": dict(url=python_server + "/flaky", required_headers=[], retries=4, backoff=0.2),
            "refused": dict(fast, url="http://127.0.0.1:9/"),
        },
    )
    ok = r["website ok"]
    assert ok["passed"], ok["failures"]
    assert ok["status"] == 200 and ok["waf_probe"]["passed"]
    assert ok["headers"]["x-content-type-options"] == "nosniff"

    api = r["api json ok"]
    assert api["passed"], api["failures"]
    assert api["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert 28 <= api["tls"]["days_left"] <= 30

    assert r["json mismatch"]["failures"] == ["json: JSON version is '1.4.2', expected '9.9.9'"]
    missing = r["missing headers"]["failures"][0]
    assert "missing header strict-transport-security" in missing and "missing header x-frame-options" in missing
    assert r["wrong status"]["status"] == 502
    assert r["wrong status"]["failures"] == ["status: status 502, expected one of [200]"]
    assert any(f.startswith("certificate: certificate expires in") for f in r["cert expiring"]["failures"])
    assert "CERTIFICATE_VERIFY_FAILED" in r["untrusted cert"]["failures"][0]
    assert r["tls 1.3 wanted"]["passed"] and r["tls 1.3 wanted"]["tls"]["version"] == "TLSv1.3"
    assert r["tls 1.2 only"]["failures"] == ["tls_version: negotiated TLSv1.2, minimum TLSv1.3"]
    assert r["no waf"]["failures"] == ["waf_probe: XSS probe got 200, expected 403 (blocked)"]
    assert r["too slow"]["failures"][0].startswith("latency: ")
    assert r["flaky then ok"]["passed"] and r["flaky then ok"]["attempts"] == 3
    assert r["refused"]["status"] is None and r["refused"]["failures"][0].startswith("connect: ")


def test_health_check_fails_hard_with_structured_result(tmp_path, nginx):
    play = [
        {
            "name": "Failing check",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Check a broken route",
                    "illustra.webstack.health_check": {"url": nginx["http"] + "/broken", "retries": 2, "backoff": 0.1},
                }
            ],
        }
    ]
    path = tmp_path / "fail.yml"
    path.write_text(json.dumps(play))
    run = run_playbook(str(path), inventory="inventories/dev")
    assert run.rc != 0
    res = run.result("Check a broken route")
    assert res["failed"]
    assert res["msg"] == (
        f"health check of {nginx['http']}/broken failed after 2 attempt(s): status: status 502, expected one of [200]"
    )
    assert res["health_check"]["attempts"] == 2 and res["health_check"]["passed"] is False
