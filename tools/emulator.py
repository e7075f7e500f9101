#!/usr/bin/env python3
"""The local AWS emulator harness: moto in server mode on a free loopback port.

One script serves the demo, the tests and the benchmarks:

    emulator.py run -- CMD ARGS...   start, run CMD pointed at the emulator, always stop (exit code of CMD)
    emulator.py start [--state F] [--listen ADDR]...   start in the background, print `export ...` lines,
                                     record the PID (and the addresses) in F
    emulator.py stop  [--state F]    stop the emulator recorded in F, by PID
    emulator.py serve [--port N] [--listen ADDR]...    the server itself, in the foreground (what `start` launches)

IAM is not enforced unless WEBSTACK_EMULATOR_IAM_AFTER=<n> is set for the emulator's process (or
`start(iam_after=n)` is called): then moto's INITIAL_NO_AUTH_ACTION_COUNT=n lets the first n requests
through (to create the identities) and checks every later one against the emulator's IAM policies.
WEBSTACK_EMULATOR_REFRESH_HEALTH_TIMEOUT=<seconds> shortens the hour an instance refresh waits for
health (tools/emulator_refresh.py).

Playbooks reach the emulator only through standard configuration: AWS_ENDPOINT_URL (botocore, so
raw boto3, lookups and every module) and AWS_URL (amazon.aws's own fallback), plus throwaway
credentials and a region. The same playbooks run unchanged against real AWS when these are unset.
The emulator also answers DNS for its public hosted zones (emulator_dns.py) on UDP at its own
address and port; WEBSTACK_DNS_RESOLVERS names it, as a user names any resolver on real AWS.

moto is started in-process (ThreadedMotoServer) so that the documented emulator patches in
`emulator_patches.py` apply; they fix gaps in moto, never behaviour of the collection.

It always listens on 127.0.0.1. `--listen ADDR` (repeatable) adds the same port on another local
address: the data plane's podman network gateways (tools/dataplane), through which the containers
reach their AWS. Those addresses are bound with IP_FREEBIND, because a podman bridge and its gateway
address appear only when the network's first container starts; never 0.0.0.0.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_STATE = HERE.parent / ".cache" / "emulator.json"

# AWS managed IAM policies exist. ACM certificates are issued once their DNS validation records exist
# in a public hosted zone (emulator_patches._acm_validation_follows_route53), not after moto's timer,
# MOTO_ACM_VALIDATION_WAIT, which this harness no longer sets.
MOTO_SETTINGS = {
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}
REGION = "us-east-1"
IAM_AFTER_ENV = "WEBSTACK_EMULATOR_IAM_AFTER"


def moto_settings(environ: dict[str, str]) -> dict[str, str]:
    """moto's settings for an emulator started with this environment."""
    settings = dict(MOTO_SETTINGS)
    value = environ.get(IAM_AFTER_ENV, "")
    if value:
        if not value.isdigit():
            raise SystemExit(f"{IAM_AFTER_ENV} must be a whole number of requests (0 or more), got {value!r}")
        settings["INITIAL_NO_AUTH_ACTION_COUNT"] = value
    return settings


def dns_resolver(endpoint: str) -> str:
    """The emulator's public DNS (tools/emulator_dns.py): UDP at the address and port of its API."""
    parts = urllib.parse.urlsplit(endpoint)
    return f"{parts.hostname}:{parts.port}"


def client_env(endpoint: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that points every AWS client at `endpoint` with throwaway credentials, and DNS
    lookups of the collection (acm_certificate_request's delegation check) at the emulator's DNS."""
    env = dict(os.environ if base is None else base)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(var, None)
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=env.get("WEBSTACK_EMULATOR_REGION", REGION),
        AWS_DEFAULT_REGION=env.get("WEBSTACK_EMULATOR_REGION", REGION),
        WEBSTACK_DNS_RESOLVERS=dns_resolver(endpoint),
    )
    return env


# Linux's IP_FREEBIND (not exported by the socket module): bind an address that is not (yet) local.
IP_FREEBIND = 15


def _check_listen(addresses: list[str]) -> list[str]:
    """Extra listen addresses: single IPv4 addresses, never a wildcard (the emulator stays off the network)."""
    checked = []
    for address in addresses:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            raise SystemExit(f"emulator: --listen {address!r} is not an IPv4 address") from None
        if ip.is_unspecified or ip.is_multicast:
            raise SystemExit(f"emulator: --listen {address} would expose the emulator; name one local address")
        if str(ip) != "127.0.0.1" and str(ip) not in checked:
            checked.append(str(ip))
    return checked


def _extra_listener(app_factory, address: str, port: int):
    """A second HTTP server on (address, port) for the same in-process moto (shared backends)."""
    import threading  # noqa: PLC0415

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler  # noqa: PLC0415
    from werkzeug.serving import make_server  # noqa: PLC0415

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    sock.bind((address, port))
    sock.listen(128)
    server = make_server(
        address,
        port,
        DomainDispatcherApplication(app_factory),
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=sock.fileno(),
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sock


def serve(port: int, parent: int = 0, listen: list[str] | None = None) -> None:
    """Run moto in this process until SIGTERM/SIGINT; print the bound port on the first line.

    With a parent PID, also stop when that process is gone, so that even a harness killed with
    SIGKILL leaves no emulator behind.
    """
    extra = _check_listen(listen or [])
    os.environ.update(moto_settings(os.environ))
    sys.path.insert(0, str(HERE))
    import emulator_dns  # noqa: PLC0415
    import emulator_patches  # noqa: PLC0415 (after the settings, before moto builds its backends)
    from moto.moto_server.werkzeug_app import create_backend_app  # noqa: PLC0415
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    emulator_patches.apply()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    extras = [_extra_listener(create_backend_app, address, bound) for address in extra]
    # Public DNS of the emulator's world, on UDP at the API's own address and port (see dns_resolver).
    dns_server = emulator_dns.serve(host, bound)
    print(bound, flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    while not stopping and (not parent or _pid_alive(parent)):
        time.sleep(0.2)
    for extra_server, sock in extras:
        extra_server.shutdown()
        sock.close()
    dns_server.shutdown()
    server.stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def start(
    timeout: float = 60.0, tied: bool = True, listen: list[str] | None = None, iam_after: int | None = None
) -> tuple[subprocess.Popen, str]:
    """Launch `serve` on a free port in its own session and wait until it answers.

    A tied emulator stops by itself when this process ends, however it ends. `listen` adds local
    addresses it also serves on (the same port). With `iam_after`, this emulator (only) enforces IAM
    after that many requests.
    """
    parent = ["--parent", str(os.getpid())] if tied else []
    extra = [arg for address in _check_listen(listen or []) for arg in ("--listen", address)]
    env = None
    if iam_after is not None:
        env = dict(os.environ, **{IAM_AFTER_ENV: str(iam_after)})
        moto_settings(env)  # refuse a bad value here, not in the child
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "serve", "--port", "0", *parent, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if not os.environ.get("WEBSTACK_EMULATOR_DEBUG") else None,
        start_new_session=True,
        text=True,
    )
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        stop_pid(proc.pid)
        raise SystemExit(f"emulator: moto did not start (got {line!r}); rerun with WEBSTACK_EMULATOR_DEBUG=1")
    endpoint = f"http://127.0.0.1:{line}"
    while not _answers(endpoint):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_pid(proc.pid)
            raise SystemExit(f"emulator: {endpoint} did not answer within {timeout:.0f}s")
        time.sleep(0.1)
    return proc, endpoint


def _is_ours(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(part.endswith(b"emulator.py") for part in cmdline) and b"serve" in cmdline


def stop_pid(pid: int, grace: float = 5.0) -> None:
    """Stop the emulator with this PID (and only if it is one), TERM first, then KILL."""
    if not _is_ours(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = 0 if _is_ours(pid) else pid
        if done:
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def run(command: list[str]) -> int:
    proc, endpoint = start()
    # A signal to us (Ctrl-C, CI timeout) still stops the emulator: the handlers raise into `finally`.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: (_ for _ in ()).throw(SystemExit(128 + signum)))
    try:
        print(f"emulator: moto on {endpoint} (pid {proc.pid})", file=sys.stderr, flush=True)
        return subprocess.call(command, env=client_env(endpoint))
    except KeyboardInterrupt:
        return 130
    finally:
        stop_pid(proc.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("--port", type=int, default=0)
    p_serve.add_argument("--parent", type=int, default=0)
    p_serve.add_argument("--listen", action="append", default=[], metavar="ADDR")
    for name in ("start", "stop"):
        p_state = sub.add_parser(name)
        p_state.add_argument("--state", type=Path, default=DEFAULT_STATE)
        if name == "start":
            p_state.add_argument("--listen", action="append", default=[], metavar="ADDR")
    p_run = sub.add_parser("run")
    p_run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.action == "serve":
        serve(args.port, args.parent, args.listen)
        return 0
    if args.action == "run":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run needs a command: emulator.py run -- CMD ARGS...")
        return run(command)
    if args.action == "start":
        proc, endpoint = start(tied=False, listen=args.listen)
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.state.write_text(json.dumps({"pid": proc.pid, "endpoint": endpoint, "listen": _check_listen(args.listen)}))
        env = client_env(endpoint, base={})
        for key in sorted(env):
            print(f"export {key}={env[key]}")
        return 0
    # stop
    if args.state.exists():
        stop_pid(json.loads(args.state.read_text())["pid"])
        args.state.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
