"""The state file `.cache/dataplane/<env>.json`: what the data plane of one environment is made of.

The keys are listed in the package docstring. The file is rewritten (atomically) after every step of
`up`, so that `down` finds everything that was made, even after a failed or interrupted `up`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

from . import addresses

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "dataplane"
ENVIRONMENTS = ("dev", "staging", "prod")


def path(env: str) -> Path:
    return CACHE / f"{env}.json"


class State(dict):
    """The data plane of one environment: a dict that knows where it is saved."""

    def __init__(self, env: str, data: dict | None = None) -> None:
        if env not in ENVIRONMENTS:
            raise SystemExit(f"dataplane: unknown environment {env!r}; choose one of {', '.join(ENVIRONMENTS)}")
        super().__init__(
            {
                "env": env,
                "emulator": None,
                "api_url": None,
                "website_url": None,
                "ca_bundle": None,
                "resolve": [],
                "hosts": {},
                "dir": str(CACHE / env),
                "addresses": addresses.for_env(env),
                "processes": {},
                "started_emulator": False,
            }
        )
        self.update(data or {})

    @property
    def env(self) -> str:
        return self["env"]

    @property
    def dir(self) -> Path:
        directory = Path(self["dir"])
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def address(self, name: str) -> str:
        """The loopback address a host-side listener named `name` publishes on."""
        return self["addresses"][name]

    def add_resolve(self, host: str, port: int, address: str) -> None:
        entry = f"{host}:{port}:{address}"
        if entry not in self["resolve"]:
            self["resolve"].append(entry)

    def save(self) -> Path:
        target = path(self.env)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, target)
        return target

    @classmethod
    def load(cls, env: str) -> State:
        """The saved state, or a fresh one when the environment has no data plane."""
        target = path(env)
        if not target.exists():
            return cls(env)
        return cls(env, json.loads(target.read_text()))

    def forget(self) -> None:
        path(self.env).unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(env: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f".{env}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def patch(env: str, change: Callable[[State], None]) -> State:
    """Load, change and save the state file under a lock: `up`, the reconciler and plug-ins write it at once."""
    with _locked(env):
        current = State.load(env)
        change(current)
        current.save()
        return current
