"""podman, the way this machine needs it (tools/podman/containers.conf): runc, ulimits within the host's limits.

Everything the harness creates carries the label `webstack.dataplane=<env>`, so `down` finds and
removes it all, even what a crashed `up` left behind.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess

from .state import ROOT

LABEL = "webstack.dataplane"
CONTAINERS_CONF = ROOT / "tools" / "podman" / "containers.conf"


def _env() -> dict[str, str]:
    return dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))


def run(*args: str, check: bool = True, timeout: float = 300, input: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["podman", *args], env=_env(), capture_output=True, text=True, timeout=timeout, input=input, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc


def network_name(env: str) -> str:
    return f"webstack-{env}"


def gateway(cidr: str) -> str:
    """The network's gateway: the first address of the VPC's CIDR (AWS's VPC router is at +1 too)."""
    return str(next(ipaddress.ip_network(cidr).hosts()))


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def _bridge(env: str, name: str | None = None) -> tuple[str, list[str]] | None:
    found = run("network", "inspect", name or network_name(env), check=False)
    if found.returncode != 0:
        return None
    info = json.loads(found.stdout)[0]
    return info["network_interface"], [s["subnet"] for s in info.get("subnets", [])]


def ensure_network(env: str, cidr: str, name: str | None = None) -> str:
    """An internal bridge network over the VPC's CIDR, whose only way out is the gateway: this machine.

    An --internal network has no route out and, with podman's CNI backend, no address on its bridge
    either. The harness makes the bridge itself with the gateway's address (the bridge plugin adopts
    an existing bridge), so the hosts reach the emulator there from their first boot, and nothing else:
    the containers get no default route, and this machine does not forward (or masquerade) for them.
    `name` (default webstack-<env>) lets a bench make a network of its own beside the data planes'.
    """
    name = name or network_name(env)
    existing = _bridge(env, name)
    if existing is not None and existing[1] != [cidr]:
        remove_network(env, name)
        existing = None
    if existing is None:
        _create_network(env, cidr, name)
        existing = _bridge(env, name)
    bridge = existing[0]
    if _ip("link", "show", bridge).returncode != 0:
        _ip("link", "add", "name", bridge, "type", "bridge")
    prefix = ipaddress.ip_network(cidr).prefixlen
    _ip("addr", "replace", f"{gateway(cidr)}/{prefix}", "dev", bridge)
    _ip("link", "set", bridge, "up")
    return name


def _create_network(env: str, cidr: str, name: str) -> None:
    run(
        "network",
        "create",
        "--internal",
        "--subnet",
        cidr,
        "--gateway",
        gateway(cidr),
        "--label",
        f"{LABEL}={env}",
        name,
    )


def remove_network(env: str, name: str | None = None) -> None:
    existing = _bridge(env, name)
    run("network", "rm", "--force", name or network_name(env), check=False)
    if existing is not None:
        _ip("link", "del", existing[0])


def containers(env: str, all_states: bool = True) -> list[dict]:
    """The harness's containers of `env`: [{"name", "id", "state", "labels"}]."""
    args = ["ps", "--format", "json", "--filter", f"label={LABEL}={env}"]
    if all_states:
        args.insert(1, "--all")
    out = run(*args).stdout.strip()
    rows = json.loads(out) if out else []
    return [
        {"name": r["Names"][0], "id": r["Id"], "state": r.get("State", ""), "labels": r.get("Labels") or {}}
        for r in rows
    ]


def remove_container(name: str) -> None:
    run("rm", "--force", "--time", "10", name, check=False, timeout=120)


def exec_(name: str, *command: str, check: bool = True, timeout: float = 300, input: str | None = None):
    interactive = ["-i"] if input is not None else []
    return run("exec", *interactive, name, *command, check=check, timeout=timeout, input=input)
