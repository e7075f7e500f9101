"""Helpers for the end-to-end tests (tests/e2e): the data plane of one environment, seen from a test."""

from __future__ import annotations

import json
import ssl
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

from dataplane import podman, runner  # noqa: E402
from dataplane.state import State  # noqa: E402

__all__ = ["ENV", "ROOT", "Plane", "backend_hosts", "database_host"]

ENV = "prod"


class Plane:
    def __init__(self, state: State) -> None:
        self.state = state

    def reload(self) -> State:
        self.state = State.load(self.state.env)
        return self.state

    @property
    def env(self) -> dict[str, str]:
        return runner.env(self.state)

    def get(self, path: str, timeout: float = 15, headers: dict | None = None) -> tuple[int, dict | str, Message]:
        """GET <api_url><path> through the load balancer stand-in (resolve entries, the local CA)."""
        url = f"{self.state['api_url']}{path}"
        ctx = ssl.create_default_context(cafile=self.state["ca_bundle"])
        request = urllib.request.Request(url, headers=headers or {})
        with runner.resolving(self.state):
            try:
                with urllib.request.urlopen(request, timeout=timeout, context=ctx) as resp:
                    body = resp.read().decode()
                    status, response_headers = resp.status, resp.headers
            except urllib.error.HTTPError as exc:
                body, status, response_headers = exc.read().decode(), exc.code, exc.headers
        try:
            return status, json.loads(body), response_headers
        except ValueError:
            return status, body, response_headers

    def playbook(self, name: str, extra_vars: dict | None = None, args: tuple[str, ...] = (), log: str | None = None):
        return runner.playbook(
            self.state, name, extra_vars, args=args, log=self.state.dir / (log or f"{Path(name).stem}.log")
        )

    def containers(self) -> list[dict]:
        return podman.containers(self.state.env, all_states=False)

    def exec(self, name: str, *command: str, check: bool = True, input: str | None = None):
        return podman.exec_(name, *command, check=check, input=input)


def database_host(plane: Plane) -> str:
    return next(c["name"] for c in plane.containers() if not c["labels"].get("webstack.group"))


def backend_hosts(plane: Plane) -> list[str]:
    return sorted(c["name"] for c in plane.containers() if c["labels"].get("webstack.group"))
