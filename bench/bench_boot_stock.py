#!/usr/bin/env python3
"""Benchmark: a backend host booting from a STOCK Debian 12 image, phase by phase, against the grace period.

    nice -n 10 .venv/bin/python bench/bench_boot_stock.py        # BENCH_BOOT_ROUNDS=3 for more boots (default 1)

`make bench` runs it too (it ignores that run's emulator: its hosts need one on their own network). Needs root,
podman and the images of tools/dataplane (built when missing); not in `make test`: it downloads from the registries.

The data plane (tools/dataplane) boots hosts from a baked image, whose user data installs nothing; this is the
boot the default (Debian's public AMI, asg_image_ssm_parameter) gives: the user data installs the toolchain (apt,
pip), and the boot play installs nginx and the app's virtualenv, all from the package registries.

What it boots, with the data plane's own code (tools/dataplane: hosts, podman, image):
- an emulator of its own (tied to this process), listening on the gateway of a network of its own
  (bench-boot-<pid>, 10.250.0.0/24): the host's AWS, as on the data plane;
- seeded as a release leaves the account: the collection tarball and the example release (with its wheels, as
  backend_release builds it by default) in an artifact bucket, MONGO_URL and the JWT secret in SSM;
- the user data rendered by the asg role's own entry point (tasks_from: user_data) with prod's inventory: the
  script the launch template holds;
- the database: a container of the baked image running secantusdb (the MongoDB test seam). It is not measured:
  during a release (an instance refresh) the database host is already up;
- the backend host: a container of the UNBAKED base image (tools/podman/build-image.sh: debootstrap's minbase,
  systemd, python3, the machine's apt sources and CA certificates), on that network and on podman's default
  network, which reaches the package registries as image.py's bake container does.

Not the same as AWS: Galaxy is not reachable here, so the collection's dependencies (amazon.aws, ...) are copied
into /opt/webstack/collections before the user data starts (as image.py does for the baked image); the user data's
`ansible-galaxy collection install` then installs only our tarball. Downloading the dependencies from Galaxy (a
few MB) is not measured.

Phases, from the host's own records (same clock as this machine's): the bootstrap log's lines, apt's history
(/var/log/apt/history.log) and the mtimes of what the user data writes. Healthy: the ALB health check's path
(alb_health_check_path) answering 200 through the host's nginx, polled every 2 s, as the target group would see it.
Writes bench/results/boot_stock.json.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from _common import ROOT, VENV_BIN, machine, write_result

sys.path.insert(0, str(ROOT / "tools"))
from dataplane import hosts, image, podman
from dataplane.runner import emulator
from dataplane.state import State

ROUNDS = int(os.environ.get("BENCH_BOOT_ROUNDS", "1"))
TIMEOUT = 2400  # seconds for one boot: four times the grace period it is compared with
NAME = f"bench-boot-{os.getpid()}"  # network and containers: apart from the data planes' (webstack-*, i-*)
CIDR, GATEWAY, DB_IP, HOST_IP = "10.250.0.0/24", "10.250.0.1", "10.250.0.20", "10.250.0.10"
RELEASE = "1.0.0"
BUCKET = "illustra-prod-artifacts-bench"


def _defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def _prod(name: str) -> dict:
    path = ROOT / "inventories" / "prod" / "group_vars" / "all" / f"{name}.yml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def grace_period() -> int:
    return int(_prod("asg").get("asg_health_check_grace_period", _defaults("asg")["asg_health_check_grace_period"]))


def _run(cmd: list[str], env: dict | None = None, timeout: float = 1800) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        )
    return done.stdout


def seed(endpoint: str, work: Path) -> None:
    """The account as a release leaves it: the collection and the release in the artifact bucket, the secrets in SSM."""
    import boto3  # noqa: PLC0415

    env = emulator.client_env(endpoint, base={})
    kwargs = {
        "region_name": env["AWS_REGION"],
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    s3, ssm = boto3.client("s3", **kwargs), boto3.client("ssm", **kwargs)
    asg, release = _defaults("asg"), _defaults("backend_release")
    _run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(ROOT)])
    (collection,) = work.glob("illustra-webstack-*.tar.gz")
    artifact = work / f"{RELEASE}.tar.gz"
    build = [str(VENV_BIN / "python"), str(ROOT / "examples" / "backend" / "build_release.py"), "--version", RELEASE]
    wheels = [
        "--wheels",
        release["backend_release_wheels_platform"],
        "--python",
        str(release["backend_release_wheels_python"]),
    ]
    _run([*build, "--output", str(artifact), *wheels])
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(collection), BUCKET, asg["asg_collection_key"])
    s3.upload_file(str(artifact), BUCKET, f"releases/{RELEASE}.tar.gz")
    secrets_ = {
        "/illustra/prod/mongodb/uri": f"mongodb://{DB_IP}:27017/illustra",
        "/illustra/prod/backend/jwt-secret": secrets.token_urlsafe(48),
    }
    for name, value in secrets_.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def render_user_data(endpoint: str, work: Path) -> str:
    """The backend's user data, rendered by the asg role's entry point with prod's inventory."""
    play = work / "render.yml"
    out = work / "user-data.sh"
    play.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Render the backend's user data",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {"ansible.builtin.include_role": {"name": "illustra.webstack.asg", "tasks_from": "user_data"}},
                        {"ansible.builtin.copy": {"content": "{{ asg__user_data }}", "dest": str(out), "mode": "0600"}},
                    ],
                }
            ]
        )
    )
    extra = {"asg_artifact_bucket": BUCKET, "asg_release_id": RELEASE, "asg_app_env": {"SEED_PRODUCTS": "true"}}
    env = emulator.client_env(endpoint)
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), PATH=f"{VENV_BIN}:{env.get('PATH', '')}")
    _run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(ROOT / "inventories" / "prod"),
            str(play),
            "-e",
            json.dumps(extra),
        ],
        env=env,
    )
    return out.read_text()


def ensure_images(log: Path) -> None:
    """The base image and the baked one (the database's), built once when missing; a stale baked one will do."""
    if podman.run("image", "exists", image.IMAGE, check=False).returncode != 0:
        image.ensure(log)


def start_database() -> str:
    name = f"{NAME}-db"
    podman.run(
        "run", "--detach", "--name", name, "--network", f"{NAME}:ip={DB_IP}", "--label", f"{podman.LABEL}={NAME}",
        image.IMAGE, "/opt/secantusdb/bin/secantusd-py", "--host", DB_IP, "--port", "27017",
        "--storage-path", "/tmp",
    )  # fmt: skip
    return name


def _healthy(path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST_IP}{path}", timeout=5) as resp:
            return resp.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def _epoch(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _mtime(name: str, path: str) -> float | None:
    out = podman.exec_(name, "stat", "-c", "%.3Y", path, check=False).stdout.strip()
    return float(out) if out.replace(".", "", 1).isdigit() else None


def _apt_runs(name: str) -> list[dict]:
    """apt's history on the host: [{command, start, end}] (epoch seconds; the container's clock is UTC)."""
    runs, current = [], {}
    for line in podman.exec_(name, "cat", "/var/log/apt/history.log", check=False).stdout.splitlines():
        key, _, value = line.partition(": ")
        if key in ("Start-Date", "End-Date"):
            stamp = datetime.datetime.strptime(" ".join(value.split()), "%Y-%m-%d %H:%M:%S")
            current[key] = stamp.replace(tzinfo=datetime.UTC).timestamp()
        elif key == "Commandline":
            current["command"] = value
        if key == "End-Date":
            runs.append(
                {"command": current.get("command", ""), "start": current["Start-Date"], "end": current["End-Date"]}
            )
            current = {}
    return runs


def phases(name: str, log: str, healthy_at: float) -> dict:
    marks = {}
    for line in log.splitlines():
        for mark in ("start", "toolchain ready", "done"):
            prefix = f"webstack bootstrap {mark} "
            if line.startswith(prefix):
                marks[mark] = _epoch(line[len(prefix) :].split()[0])
    apt = _apt_runs(name)
    base = "/opt/webstack"
    artifact = _mtime(name, f"{base}/releases/artifact.tar.gz")
    collection = _mtime(name, f"{base}/collections/ansible_collections/illustra/webstack/MANIFEST.json")
    play = _mtime(name, f"{base}/boot.yml")
    toolchain_apt = apt[0] if apt else None
    play_apt = [r for r in apt[1:] if play and r["start"] >= play - 1]
    start = marks["start"]

    def span(a, b):
        return round(b - a, 1) if a is not None and b is not None else None

    return {
        "apt_toolchain_s": span(start, toolchain_apt["end"] if toolchain_apt else None),
        "pip_toolchain_s": span(toolchain_apt["end"] if toolchain_apt else start, marks.get("toolchain ready")),
        "s3_downloads_s": span(marks.get("toolchain ready"), artifact),
        "collection_install_s": span(artifact, collection),
        # The play starts the app and waits for its health itself, then finishes a few tasks: the target is
        # often healthy before the user data is done.
        "boot_play_to_healthy_s": span(play, healthy_at),
        "boot_play_s": span(play, marks.get("done")),
        "boot_play_apt_s": round(sum(r["end"] - r["start"] for r in play_apt), 1) if play_apt else None,
        "user_data_to_healthy_s": span(start, healthy_at),
        "apt_runs": [{"command": r["command"], "seconds": round(r["end"] - r["start"], 1)} for r in apt],
    }


def boot_once(state: State, user_data: str, health_path: str, number: int) -> dict:
    instance = hosts.Instance(id=f"{NAME}-backend-{number}", private_ip=HOST_IP, user_data=user_data, group="bench")
    loads = [os.getloadavg()[0]]
    created = time.time()
    name = hosts.create(state, instance, image.BASE_IMAGE)
    try:
        hosts.wait_for_systemd(name, timeout=300)
        image.install_dependencies(name)  # Galaxy's part, from this machine (see the docstring)
        hosts.run_user_data(name)
        deadline = time.monotonic() + TIMEOUT
        healthy_at, result = None, "running"
        while time.monotonic() < deadline:
            if _healthy(health_path):
                healthy_at = time.time()
                break
            result = hosts.user_data_result(name)
            if result == "failed":
                break
            loads.append(os.getloadavg()[0])
            time.sleep(2)
        # The rest of the user data (the play's last tasks), for its phases; bounded.
        finish = time.monotonic() + 300
        while healthy_at is not None and hosts.user_data_result(name) == "running" and time.monotonic() < finish:
            time.sleep(2)
        log = hosts.boot_log(name)
        if healthy_at is None:
            tail = "\n".join(log.splitlines()[-40:])
            raise SystemExit(f"bench_boot_stock: {name} did not become healthy (user data: {result}):\n{tail}")
        measured = phases(name, log, healthy_at)
        measured["container_to_healthy_s"] = round(healthy_at - created, 1)
        measured["load_1m_min_max"] = [round(min(loads), 2), round(max(loads), 2)]
        print(f"boot {number}: {json.dumps(measured)}", flush=True)
        return measured
    finally:
        hosts.remove(name)


def main() -> int:
    load_before = os.getloadavg()
    health_path = _prod("alb").get("alb_health_check_path", _defaults("alb")["alb_health_check_path"])
    proc = None
    ensure_images(ROOT / ".cache" / "bench-boot-images.log")
    try:
        podman.ensure_network(NAME, CIDR, name=NAME)
        proc, endpoint = emulator.start(tied=True, listen=[GATEWAY])
        with tempfile.TemporaryDirectory(prefix="bench-boot-") as tmp:
            work = Path(tmp)
            seed(endpoint, work)
            user_data = render_user_data(endpoint, work)
            start_database()
            state = State(
                "prod",
                {
                    "dir": str(work / "plane"),
                    "network": NAME,
                    "gateway": GATEWAY,
                    "emulator": endpoint,
                    "label": NAME,
                    "extra_networks": ["podman"],
                },
            )
            boots = [boot_once(state, user_data, health_path, n) for n in range(1, ROUNDS + 1)]
    finally:
        podman.remove_container(f"{NAME}-db")
        podman.remove_network(NAME, NAME)
        if proc is not None:
            emulator.stop_pid(proc.pid)
    worst = max(b["user_data_to_healthy_s"] for b in boots)
    grace = grace_period()
    write_result(
        "boot_stock",
        {
            "what": "a backend host booting from the stock Debian 12 base image: its user data from start to healthy",
            "image": image.BASE_IMAGE,
            "health_check_path": health_path,
            "health_check_grace_period_s": grace,
            "worst_user_data_to_healthy_s": worst,
            "not_measured": "the collection's dependencies' download from Galaxy (unreachable here; copied in)",
            "boots": boots,
            "machine": machine(load_before),
            "user_data_sha256": hashlib.sha256(user_data.encode()).hexdigest(),
        },
    )
    print(f"worst {worst:.0f}s from user data to healthy; grace period {grace}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
