"""The data plane's skeleton: the local CA, the state file, the resolve entries, the loopback plan."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

from dataplane import addresses, ca, runner, state  # noqa: E402


def test_the_ca_signs_certificates_that_verify_by_name_only(tmp_path):
    leaf = ca.issue(tmp_path, ["api.example.com", "example.com"])
    bundle = ca.ensure(tmp_path)
    ca_cert = x509.load_pem_x509_certificate(bundle.read_bytes())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(leaf["cert"], leaf["key"])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve(count):
        for _ in range(count):
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, args=(2,), daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=str(bundle))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        client.wrap_socket(sock, server_hostname="api.example.com") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # A name the certificate does not carry (the ALB's own DNS name) fails, as it would on AWS.
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        client.wrap_socket(sock, server_hostname="illustra-prod-123.us-east-1.elb.amazonaws.com")
    thread.join(10)
    listener.close()


def test_the_ca_and_a_leaf_are_made_once_and_the_keys_are_private(tmp_path):
    first = ca.issue(tmp_path, ["a.example.com"])
    again = ca.issue(tmp_path, ["a.example.com"])
    assert first["cert"].read_bytes() == again["cert"].read_bytes()
    assert (tmp_path / "ca" / "ca.key").stat().st_mode & 0o077 == 0
    assert first["key"].stat().st_mode & 0o077 == 0
    other = ca.issue(tmp_path, ["b.example.com"])
    assert other["cert"] != first["cert"]
    with pytest.raises(ValueError):
        ca.issue(tmp_path, [])


def test_acm_names_put_the_domain_first():
    class Acm:
        def describe_certificate(self, CertificateArn):  # noqa: N803 (boto3's keyword)
            assert CertificateArn == "arn:cert"
            return {"Certificate": {"DomainName": "x.com", "SubjectAlternativeNames": ["x.com", "*.x.com"]}}

    assert ca.acm_names(Acm(), "arn:cert") == ["x.com", "*.x.com"]


def test_each_environment_has_its_own_loopback_block():
    seen = set()
    for env in state.ENVIRONMENTS:
        mine = set(addresses.for_env(env).values())
        assert all(a.startswith("127.") for a in mine)
        assert not mine & seen
        seen |= mine


def test_the_state_file_round_trips_and_refuses_unknown_environments(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "CACHE", tmp_path)
    s = state.State("staging")
    s["dir"] = str(tmp_path / "staging")
    s.add_resolve("api.example.com", 443, "127.0.2.10")
    s.add_resolve("api.example.com", 443, "127.0.2.10")
    s.save()
    loaded = state.State.load("staging")
    assert loaded["resolve"] == ["api.example.com:443:127.0.2.10"]
    assert loaded.address("alb") == "127.0.2.10"
    assert set(json.loads(state.path("staging").read_text())) >= {
        "emulator",
        "api_url",
        "website_url",
        "ca_bundle",
        "resolve",
        "hosts",
    }
    loaded.forget()
    assert not state.path("staging").exists()
    with pytest.raises(SystemExit, match="unknown environment"):
        state.State("qa")


def test_python_processes_of_the_harness_follow_the_resolve_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "CACHE", tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    s = state.State("prod", {"dir": str(tmp_path), "emulator": "http://127.0.0.1:1"})
    s.add_resolve("api.illustra-demo.example.com", port, "127.0.0.1")
    s.save()
    code = (
        "import socket; socket.create_connection(('api.illustra-demo.example.com', %d), timeout=5).close(); print('ok')"
    )
    env = runner.env(s, base={"PATH": os.environ["PATH"]})
    done = subprocess.run(
        [sys.executable, "-c", code % port], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
    # Without the entries the name does not resolve at all (the machine's DNS is untouched).
    s["resolve"] = []
    s.save()
    failed = subprocess.run(
        [sys.executable, "-c", code % port], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert failed.returncode != 0
    s.add_resolve("api.illustra-demo.example.com", port, "127.0.0.1")
    with runner.resolving(s):
        socket.create_connection(("api.illustra-demo.example.com", port), timeout=5).close()
    listener.close()
