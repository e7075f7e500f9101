"""The order of `up` and `down` (see the package docstring for what each piece stands in for).

up:   the emulator (started when none runs, also listening on the network's gateway) → the local CA
      → the podman network over the VPC's CIDR → the baked image → the reconciler (hosts and the load
      balancer follow the emulator from then on) → the environment converged with the example frontend
      build and backend release (site.yml) → the API answering through the load balancer stand-in →
      the edge plug-in → the state file.
down: the edge plug-in → every process the harness started (by PID) → every container and network
      labelled with the environment → the emulator when `up` started it and no other data plane
      uses it → the state file.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from . import ca, image, podman, runner
from .runner import emulator
from .state import ENVIRONMENTS, ROOT, State, patch

EMULATOR_STATE = ROOT / ".cache" / "emulator.json"


def say(text: str) -> None:
    print(f"dataplane: {text}", file=sys.stderr, flush=True)


def vpc_cidr(env: str) -> str:
    """The environment's VPC CIDR, as its inventory sets it (the network the hosts live on)."""
    values = yaml.safe_load((ROOT / "inventories" / env / "group_vars" / "all" / "vpc.yml").read_text())
    return values["vpc_cidr_block"]


def _answers(endpoint: str | None) -> bool:
    if not endpoint:
        return False
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _listening(address: str, port: int) -> bool:
    """Whether a socket of this machine listens on address:port (/proc/net/tcp, state 0A)."""
    want = f"{''.join(f'{int(o):02X}' for o in reversed(address.split('.')))}:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(line.split()[1] == want and line.split()[3] == "0A" for line in lines)


def ensure_emulator(state: State) -> None:
    """Reuse the emulator that runs (this state's, `emulator.py start`'s, or AWS_ENDPOINT_URL), else start one.

    The hosts reach it through the network's gateway, so it must listen there too: a started one listens on
    every environment's gateway (bound before the bridges exist); a running one that does not is refused.
    """
    gateway = podman.gateway(vpc_cidr(state.env))
    candidates = [state.get("emulator")]
    if EMULATOR_STATE.exists():
        candidates.append(json.loads(EMULATOR_STATE.read_text()).get("endpoint"))
    candidates.append(os.environ.get("AWS_ENDPOINT_URL"))
    for endpoint in candidates:
        if endpoint and endpoint.startswith("http://127.0.0.1:") and _answers(endpoint):
            port = int(endpoint.rsplit(":", 1)[1])
            if not _listening(gateway, port):
                raise SystemExit(
                    f"dataplane: the emulator at {endpoint} does not listen on {gateway}, the gateway the hosts of "
                    f"{state.env} reach it through. Stop it, or start it with "
                    f"`tools/emulator.py start --listen {gateway}`, and rerun."
                )
            state["emulator"] = endpoint
            return
    gateways = sorted({podman.gateway(vpc_cidr(env)) for env in ENVIRONMENTS})
    proc, endpoint = emulator.start(tied=False, listen=gateways)
    EMULATOR_STATE.parent.mkdir(parents=True, exist_ok=True)
    EMULATOR_STATE.write_text(json.dumps({"pid": proc.pid, "endpoint": endpoint, "listen": gateways}))
    state.update(emulator=endpoint, started_emulator=True)
    state["processes"]["emulator"] = proc.pid
    say(f"started the emulator at {endpoint} (also on {', '.join(gateways)})")


def plugin(name: str):
    """The optional plug-in module `dataplane.<name>`, or None when it does not exist."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{name}":
            raise
        return None


# The example release the environment is converged with, and the test seams `up` passes explicitly.
RELEASE = "1.0.0"
# AWS-valid small health check, drain, warmup and checkpoint values (prod's own add minutes to every release):
# a release here takes about the time its hosts take to boot. Every converge and release on the data plane
# passes the same values, so that they are no drift. The grace period stays the role's: hosts boot for minutes.
QUICK = {
    "alb_health_check_interval": 5,
    "alb_health_check_timeout": 4,
    "alb_healthy_threshold": 2,
    "alb_unhealthy_threshold": 2,
    "alb_deregistration_delay": 10,
    "asg_instance_warmup": 10,
    # prod pauses 300 s at its 50 % checkpoint; the checkpoint is still honoured, a pause of 20 s shows it.
    "asg_refresh_checkpoint_delay": 20,
    "asg_refresh_poll_interval": 5,
}


def converge_vars(env: str, release: str = RELEASE) -> dict:
    """site.yml's extra vars for an environment on the data plane: the example build and release."""
    return {
        "webstack_confirm": env,
        "website_build_dir": str(ROOT / "examples" / "frontend" / "build"),
        "backend_release_id": release,
        # The example app's seed step: its sample catalogue, upserted at start (examples/backend/README.md).
        "asg_app_env": {"SEED_PRODUCTS": "true"},
        # The MongoDB test seam (roles/mongodb/README.md, "Test seam"): the one wire-compatible server installable here.
        "mongodb_server_flavor": "secantusdb",
        # dev uses MongoDB Atlas; a placeholder connection string stands in for the vault's.
        "mongodb_atlas_uri": "mongodb+srv://demo:demo@cluster0.example.mongodb.net/illustra",
        # The edge plug-in turns the HTTP gates on where it serves the website.
        "validate_http_gates": False,
        # Hosts boot for real here (several minutes on a busy 2-core machine): the release check waits for them.
        "backend_release_validate_retries": 150,
        **QUICK,
    }


def start_reconciler(state: State) -> int:
    """The reconciler, detached (it outlives `up`); `down` stops it by PID."""
    pid = state["processes"].get("reconciler")
    if pid and _alive(int(pid)):
        return int(pid)
    log = (state.dir / "reconciler.out").open("a")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "dataplane"), "reconcile", "--env", state.env],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    patch(state.env, lambda s: s["processes"].update(reconciler=proc.pid))
    state["processes"]["reconciler"] = proc.pid
    return proc.pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def origin_headers(state: State) -> dict[str, str]:
    """The header the load balancer's rules require before they forward, if any (staging: CloudFront's
    origin-verify secret, without which the ALB answers its fixed 403), read from its listener rules."""
    import boto3  # noqa: PLC0415

    env = emulator.client_env(state["emulator"], base={})
    elbv2 = boto3.client(
        "elbv2",
        region_name=env["AWS_REGION"],
        endpoint_url=state["emulator"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                for condition in rule.get("Conditions", []):
                    config = condition.get("HttpHeaderConfig") or {}
                    if condition.get("Field") == "http-header" and config.get("Values"):
                        return {config["HttpHeaderName"]: config["Values"][0]}
    return {}


def wait_for_api(env: str, timeout: float = 900) -> State:
    """Until the API answers 200 through the load balancer stand-in (bounded), or fail with the boot logs."""
    deadline = time.monotonic() + timeout
    last = ""
    headers = None
    while time.monotonic() < deadline:
        state = State.load(env)
        if state.get("api_url"):
            headers = origin_headers(state) if headers is None else headers
            with runner.resolving(state):
                try:
                    ctx = ssl.create_default_context(cafile=state["ca_bundle"])
                    request = urllib.request.Request(f"{state['api_url']}/health", headers=headers)
                    with urllib.request.urlopen(request, timeout=10, context=ctx) as resp:
                        if resp.status == 200:
                            return state
                except OSError as exc:
                    last = str(exc)
        time.sleep(3)
    raise SystemExit(
        f"dataplane: the API of {env} did not answer within {timeout:.0f}s ({last}); see {State.load(env).dir}"
    )


def up(env: str, converge: bool = True) -> State:
    state = State.load(env)
    state.save()
    ensure_emulator(state)
    state.save()
    state["ca_bundle"] = str(ca.ensure(state.dir))
    cidr = vpc_cidr(env)
    state["network"] = podman.ensure_network(env, cidr)
    state["gateway"] = podman.gateway(cidr)
    state.save()
    say("the image (baked once, then kept)")
    image.ensure(state.dir / "bake.log")
    start_reconciler(state)
    if converge:
        say(f"converging {env} (site.yml; log in {state.dir / 'converge.log'})")
        done = runner.playbook(state, "site.yml", converge_vars(env), log=state.dir / "converge.log")
        if done.returncode != 0:
            raise SystemExit(f"dataplane: site.yml failed for {env}; see {state.dir / 'converge.log'}")
        state = wait_for_api(env)
    edge = plugin("edge")
    if edge is not None:
        state = State.load(env)
        edge.up(state)
        state.save()
    state = State.load(env)
    say(f"{env} is up: API {state.get('api_url')}; state in {state.save()}")
    return state


def _stop_pid(pid: int, grace: float = 10.0) -> None:
    """Stop one process the harness started: TERM, then KILL after `grace` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def down(env: str) -> None:
    state = State.load(env)
    edge = plugin("edge")
    if edge is not None:
        edge.down(state)
    for name, pid in sorted(state["processes"].items()):
        if name == "emulator":
            continue
        _stop_pid(int(pid))
    haproxy_pid = state.dir / "haproxy" / "haproxy.pid"
    if haproxy_pid.exists():
        for pid in haproxy_pid.read_text().split():
            if Path(f"/proc/{pid}/exe").exists() and os.readlink(f"/proc/{pid}/exe").endswith("haproxy"):
                _stop_pid(int(pid))
    for container in podman.containers(env):
        podman.remove_container(container["name"])
    podman.remove_network(env)
    others = [State.load(e) for e in ENVIRONMENTS if e != env]
    in_use = any(o.get("emulator") == state.get("emulator") and o is not state and _has_state(o.env) for o in others)
    if state.get("started_emulator") and "emulator" in state["processes"] and not in_use:
        emulator.stop_pid(int(state["processes"]["emulator"]))
        EMULATOR_STATE.unlink(missing_ok=True)
    state.forget()
    say(f"{env} is down")


def _has_state(env: str) -> bool:
    from .state import path  # noqa: PLC0415

    return path(env).exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataplane", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status", "reconcile"])
    parser.add_argument("--no-converge", action="store_true", help="up: bring up the data plane of what exists")
    parser.add_argument("--env", default="prod", choices=[*ENVIRONMENTS, "all"], help="all: down only")
    args = parser.parse_args(argv)
    if args.action == "up":
        if args.env == "all":
            parser.error("up takes one environment")
        up(args.env, converge=not args.no_converge)
    elif args.action == "reconcile":
        from .reconcile import main as reconcile  # noqa: PLC0415

        return reconcile(args.env)
    elif args.action == "down":
        for env in ENVIRONMENTS if args.env == "all" else (args.env,):
            down(env)
    else:
        for env in ENVIRONMENTS if args.env == "all" else (args.env,):
            print(json.dumps(State.load(env), indent=2, sort_keys=True))
    return 0
