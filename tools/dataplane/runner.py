"""The environment the harness runs commands with, and the playbooks it runs.

A command run by the data plane (a playbook, a test's request) sees:
- the emulator as its AWS (tools/emulator.py's client environment);
- the resolve entries of the state file, through `resolve/sitecustomize.py` on PYTHONPATH (Python
  processes only, read again as the file changes; curl takes `--resolve` itself);
- a trust store of the system's CAs plus the local CA (SSL_CERT_FILE, REQUESTS_CA_BUNDLE), so the
  stand-ins' certificates verify by name, as ACM's would.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from .state import ROOT, State
from .state import path as state_path

TOOLS = ROOT / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))
import emulator  # noqa: E402

RESOLVE_DIR = Path(__file__).resolve().parent / "resolve"
SYSTEM_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def trust_bundle(state: State) -> Path | None:
    """The system's CAs and the local CA in one file (for tools that take one trust store)."""
    if not state.get("ca_bundle"):
        return None
    bundle = state.dir / "trust.pem"
    parts = [SYSTEM_CA.read_bytes() if SYSTEM_CA.exists() else b"", Path(state["ca_bundle"]).read_bytes()]
    bundle.write_bytes(b"\n".join(parts))
    return bundle


def env(state: State, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a command run against this data plane."""
    result = emulator.client_env(state["emulator"], base=dict(os.environ if base is None else base))
    result["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    result["CONTAINERS_CONF"] = str(ROOT / "tools" / "podman" / "containers.conf")
    result["PATH"] = f"{ROOT / '.venv' / 'bin'}:{result.get('PATH', '/usr/bin:/bin')}"
    result["WEBSTACK_DATAPLANE_STATE"] = str(state_path(state.env))
    result["PYTHONPATH"] = os.pathsep.join(p for p in (str(RESOLVE_DIR), result.get("PYTHONPATH", "")) if p)
    bundle = trust_bundle(state)
    if bundle:
        result["SSL_CERT_FILE"] = str(bundle)
        result["REQUESTS_CA_BUNDLE"] = str(bundle)
    return result


@contextlib.contextmanager
def resolving(state: State):
    """In this process: connections to the resolve entries' host:port go to their address."""
    table = {}
    for entry in state["resolve"]:
        host, port, address = entry.rsplit(":", 2)
        table[(host.lower(), int(port))] = address
    original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            key = (str(host).lower().rstrip("."), int(port))
        except (TypeError, ValueError):
            key = None
        return original(table.get(key, host), port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = original


def playbook(
    state: State,
    name: str,
    extra_vars: dict | None = None,
    *,
    inventory: str | None = None,
    args: tuple[str, ...] = (),
    log: Path | None = None,
    timeout: float = 3600,
) -> subprocess.CompletedProcess:
    """Run playbooks/<name> against the environment's inventory, output to `log` (or inherited)."""
    # The environment's inventory, then the data plane's: its hosts are reached as their containers.
    overlay = state.dir / "inventory.yml"
    inventories = ["-i", str(ROOT / "inventories" / (inventory or state.env))]
    if overlay.exists() and inventory is None:
        inventories += ["-i", str(overlay)]
    cmd = [
        str(ROOT / ".venv" / "bin" / "ansible-playbook"),
        str(ROOT / "playbooks" / name),
        *inventories,
        "-e",
        json.dumps(extra_vars or {}),
        *args,
    ]
    if log is None:
        return subprocess.run(cmd, cwd=ROOT, env=env(state), timeout=timeout, check=False)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        return subprocess.run(
            cmd, cwd=ROOT, env=env(state), stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
