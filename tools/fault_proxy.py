#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between AWS clients and the local emulator (loopback only).

It answers a configurable share of requests with what AWS does on a bad day — throttling errors,
500/503, slow responses, dropped connections — and forwards the rest untouched. Faults are
injected *before* a request reaches the emulator, so the emulator never half-applies a faulted
call. Seeded: the same seed gives the same faults.

    fault_proxy.py --upstream http://127.0.0.1:PORT --rate 0.15 [--seed 7]

prints the proxy's endpoint; point AWS_ENDPOINT_URL / AWS_URL at it. Tests use `FaultProxy`
directly and can watch mutating calls (`on_mutation`) to interrupt a run at a chosen point.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FAULTS = ("throttle", "error500", "error503", "slow", "drop")
MUTATING = re.compile(rb"^(Create|Allocate|Associate|Authorize|Attach|Put|Run|Request|Modify|Replace|Update|Tag)")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"}


def _action(handler, body: bytes) -> bytes:
    """The API operation a request names: X-Amz-Target (JSON), Action= (query) or the REST method."""
    target = handler.headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1].encode()
    if body.startswith(b"Action=") or b"&Action=" in body:
        return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0].encode()
    return {"PUT": b"Put", "POST": b"Create", "DELETE": b"Delete"}.get(handler.command, b"Get")


def _error_response(handler, body: bytes, fault: str) -> tuple[int, str, bytes]:
    """An error as the request's protocol would carry it (JSON, EC2/query XML or REST XML)."""
    status, code, message = {
        "throttle": (400, "ThrottlingException", "Rate exceeded"),
        "error500": (500, "InternalError", "We encountered an internal error. Please try again."),
        "error503": (503, "ServiceUnavailable", "Service is unavailable. Please try again."),
    }[fault]
    if handler.headers.get("X-Amz-Target"):
        return status, "application/x-amz-json-1.1", f'{{"__type":"{code}","message":"{message}"}}'.encode()
    if b"Action=" in body:
        if fault == "throttle":
            status, code = 503, "RequestLimitExceeded"
        payload = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
        return status, "text/xml", payload.encode()
    if fault == "throttle":
        status, code = 503, "SlowDown"
    return status, "application/xml", f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


# Signing names whose botocore model has another name (for routing a REST request to its operation).
_MODEL_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "tagging": "resourcegroupstaggingapi"}


def _rest_operation(signing_name: str, method: str, path: str, headers: dict, body: bytes) -> str:
    """A REST request's operation, as moto's router matches it against botocore's model (no match: "")."""
    from botocore.exceptions import UnknownServiceError  # noqa: PLC0415
    from moto.core.routing import get_service_router  # noqa: PLC0415
    from werkzeug.exceptions import NotFound  # noqa: PLC0415
    from werkzeug.test import EnvironBuilder  # noqa: PLC0415

    raw_path, _, query = path.partition("?")
    request = EnvironBuilder(method=method, path=raw_path, query_string=query, headers=headers, data=body).get_request()
    request.raw_path = raw_path
    try:
        router = get_service_router(_MODEL_OF_SIGNING_NAME.get(signing_name, signing_name))
        return router.match(request)[0].name
    except (NotFound, NotImplementedError, UnknownServiceError):
        return ""


@dataclass
class Call:
    """One forwarded API call, as sent, with the emulator's time to answer it."""

    method: str
    path: str
    headers: dict
    body: bytes
    action: str
    upstream_seconds: float
    status: int = 200
    # The emulator's answer to a refused call (status 400 and up): its error code and message.
    error_body: bytes = b""

    @property
    def signing_name(self) -> str:
        """The service the request was signed for (its SigV4 credential scope), "" if unsigned."""
        match = re.search(r"Credential=[^/,]+/[^/,]+/[^/,]+/([^/,]+)/", self.headers.get("Authorization", ""))
        return match.group(1) if match else ""

    @property
    def operation(self) -> str:
        """The API operation: the query Action, the JSON target, or (REST) the one its method and path name."""
        rpc = re.match(r"^/service/[^/]+/operation/([A-Za-z0-9]+)", self.path)
        if rpc:
            return rpc.group(1)
        if self.method == "POST" and (self.body.startswith(b"Action=") or b"&Action=" in self.body):
            return self.action
        if any(k.lower() == "x-amz-target" for k in self.headers):
            return self.action
        return _rest_operation(self.signing_name, self.method, self.path, self.headers, self.body)

    @property
    def iam_actions(self) -> list[str]:
        """The IAM actions this call needs (tools/iam_actions.py)."""
        from iam_actions import iam_actions  # noqa: PLC0415

        params = parse_qs(self.body.decode("utf-8", "replace")) if b"Action=" in self.body else {}
        return iam_actions(self.signing_name, self.operation, params.keys())

    @property
    def mutating(self) -> bool:
        return bool(MUTATING.match(self.action.encode())) or self.action.startswith(("Delete", "Detach", "Remove"))


class FaultProxy:
    def __init__(self, upstream: str, rate: float = 0.15, seed: int = 1, faults=FAULTS, slow_seconds: float = 1.0):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.rate, self.faults, self.slow_seconds = rate, tuple(faults), slow_seconds
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"forwarded": 0, "mutations": 0, **{f: 0 for f in self.faults}}
        self.on_mutation = None  # callable(count, action) after a mutating call was answered
        # With a list here, every forwarded call is appended as a Call (benchmarks: the API floor).
        self.record: list[Call] | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            # BaseHTTPRequestHandler dispatches on these names.

            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy.pick(self.path)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault in ("throttle", "error500", "error503"):
                    status, ctype, payload = _error_response(self, body, fault)
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                started = time.perf_counter()
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                upstream_seconds = time.perf_counter() - started
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                conn.close()
                action = _action(self, body)
                with proxy.lock:
                    proxy.counts["forwarded"] += 1
                    if proxy.record is not None:
                        call = Call(
                            self.command,
                            self.path,
                            headers,
                            body,
                            action.decode(),
                            upstream_seconds,
                            resp.status,
                            payload if resp.status >= 400 else b"",
                        )
                        proxy.record.append(call)
                    mutation = bool(MUTATING.match(action)) and resp.status < 300
                    if mutation:
                        proxy.counts["mutations"] += 1
                        count = proxy.counts["mutations"]
                if mutation and proxy.on_mutation:
                    proxy.on_mutation(count, action.decode())

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _relay  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def pick(self, path: str):
        if path.startswith("/moto-api"):
            return None
        with self.lock:
            if self.random.random() >= self.rate:
                return None
            fault = self.random.choice(self.faults)
            self.counts[fault] += 1
            return fault

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    with FaultProxy(args.upstream, args.rate, args.seed, args.faults.split(",")) as proxy:
        print(proxy.endpoint, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print(proxy.counts, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
