"""Hosts: every running EC2 instance of the environment becomes a systemd container booted from its user data.

What stands in for what:
- the AMI: the baked image (image.py), whatever AMI id the instance names;
- the instance's network interface: a container on the environment's network with the instance's own
  private IP (so connection strings and target registrations work unchanged);
- the instance profile and IMDS: the emulator's endpoint, throwaway credentials and the region in
  systemd's DefaultEnvironment (and in the SSM connection's stand-in, reconcile.py's ssm-session), so
  every process on the host (the user data, the backup timer, a command run over "SSM") finds its AWS as
  boto3 would find the instance role;
- cloud-init: once systemd runs, the harness runs the user data once, as root, as a transient unit
  (`cloud-final`), output appended to /var/log/cloud-init-output.log, as cloud-init's final stage does.

Instances that stop running (terminated by an instance refresh, a scale-in, a teardown) lose their
container.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from . import podman
from .state import State

USER_DATA = "/var/lib/cloud/instance/user-data.txt"
INSTANCE_ENV = "/etc/systemd/system.conf.d/50-webstack-instance-profile.conf"
BOOT_LOG = "/var/log/cloud-init-output.log"
LIVE_STATES = ["pending", "running"]


@dataclass
class Instance:
    id: str
    private_ip: str
    user_data: str
    group: str


def instances(ec2, state: State) -> dict[str, Instance]:
    """The environment's pending and running instances, by id (those with a private IP in its network)."""
    found = {}
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "tag:Environment", "Values": [state.env]},
            {"Name": "tag:ManagedBy", "Values": ["illustra.webstack"]},
            {"Name": "instance-state-name", "Values": LIVE_STATES},
        ]
    )
    for page in pages:
        for reservation in page["Reservations"]:
            for item in reservation["Instances"]:
                if not item.get("PrivateIpAddress"):
                    continue
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                found[item["InstanceId"]] = Instance(
                    id=item["InstanceId"],
                    private_ip=item["PrivateIpAddress"],
                    user_data="",
                    group=tags.get("aws:autoscaling:groupName", ""),
                )
    return found


def user_data(ec2, instance_id: str) -> str:
    value = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData").get("UserData", {})
    raw = value.get("Value") or ""
    return base64.b64decode(raw).decode() if raw else ""


def instance_values(state: State) -> dict[str, str]:
    """What the instance profile and IMDS give boto3 on AWS: the endpoint, credentials and region."""
    port = state["emulator"].rsplit(":", 1)[1]
    endpoint = f"http://{state['gateway']}:{port}"
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": state.get("region", "us-east-1"),
        "AWS_DEFAULT_REGION": state.get("region", "us-east-1"),
    }


def instance_environment(state: State) -> str:
    """systemd's DefaultEnvironment: every service of the host finds its AWS there."""
    pairs = " ".join(f'"{k}={v}"' for k, v in instance_values(state).items())
    return f"# The instance profile and IMDS, as the data plane stands them in (tools/dataplane/hosts.py).\n[Manager]\nDefaultEnvironment={pairs}\n"


def create(state: State, instance: Instance, image: str) -> str:
    """Create and start the instance's container; returns its name (the instance id)."""
    name = instance.id
    podman.run("rm", "--force", name, check=False)
    # A bench may add networks (bench/bench_boot.py: podman's default one, to reach the package registries as
    # a stock AMI does) and label its hosts apart from the data planes' (state "extra_networks", "label").
    extra = list(state.get("extra_networks") or [])
    networks = (
        ["--network", f"{state['network']}:ip={instance.private_ip}", *(a for n in extra for a in ("--network", n))]
        if extra
        else ["--network", state["network"], "--ip", instance.private_ip]
    )
    podman.run(
        "create",
        "--name", name,
        "--hostname", "ip-" + instance.private_ip.replace(".", "-"),
        *networks,
        # systemd builds the units' sandboxes (ProtectSystem, PrivateTmp, ...) with it, as on a VM.
        "--cap-add", "SYS_ADMIN",
        "--label", f"{podman.LABEL}={state.get('label') or state.env}",
        "--label", f"webstack.instance={instance.id}",
        "--label", f"webstack.group={instance.group}",
        "--label", f"webstack.ip={instance.private_ip}",
        image,
        "/sbin/init",
    )  # fmt: skip
    # Files the host finds at first boot, laid out as a tree and copied onto the container's root.
    tree = state.dir / "hosts" / name
    conf = tree / INSTANCE_ENV.lstrip("/")
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(instance_environment(state))
    # IMDS needs no environment, so `become` (sudo) keeps the stand-in's.
    sudoers = tree / "etc" / "sudoers.d" / "50-webstack-instance-profile"
    sudoers.parent.mkdir(parents=True, exist_ok=True)
    sudoers.write_text(f'Defaults env_keep += "{" ".join(sorted(instance_values(state)))}"\n')
    sudoers.chmod(0o440)
    if instance.user_data:
        script = tree / USER_DATA.lstrip("/")
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(instance.user_data)
        script.chmod(0o700)
    podman.run("cp", f"{tree}/.", f"{name}:/")
    podman.run("start", name)
    return name


def wait_for_systemd(name: str, timeout: float = 120) -> None:
    """Until the container's systemd has finished starting (running or degraded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = podman.exec_(name, "systemctl", "is-system-running", check=False, timeout=30).stdout.strip()
        if status in ("running", "degraded"):
            return
        time.sleep(1)
    raise RuntimeError(f"dataplane: {name}: systemd did not finish starting within {timeout:.0f}s")


def run_user_data(name: str) -> None:
    """Run the user data once, as root, the way cloud-init's final stage does (a unit of its own)."""
    if podman.exec_(name, "test", "-s", USER_DATA, check=False).returncode != 0:
        return
    podman.exec_(
        name,
        "systemd-run",
        "--unit=cloud-final",
        "--description=cloud-init final stage stand-in: the instance's user data",
        "--property=Type=oneshot",
        "--property=RemainAfterExit=yes",
        f"--property=StandardOutput=append:{BOOT_LOG}",
        f"--property=StandardError=append:{BOOT_LOG}",
        "--no-block",
        "/bin/sh",
        "-c",
        f"chmod 0700 {USER_DATA} && exec {USER_DATA}",
    )


def user_data_result(name: str) -> str:
    """cloud-final's state: 'running', 'done', 'failed', or '' when it has not run."""
    shown = podman.exec_(name, "systemctl", "show", "-p", "ActiveState", "-p", "Result", "cloud-final", check=False)
    props = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
    active, result = props.get("ActiveState", ""), props.get("Result", "")
    if active == "active" and result == "success":
        return "done"
    if active == "failed" or result not in ("", "success"):
        return "failed"
    if active in ("activating", "active"):
        return "running"
    return ""


def boot_log(name: str, path: str = "/var/log/webstack-bootstrap.log") -> str:
    return podman.exec_(name, "cat", path, check=False).stdout


def boot(state: State, instance: Instance, image: str) -> str:
    name = create(state, instance, image)
    wait_for_systemd(name)
    run_user_data(name)
    return name


def remove(name: str) -> None:
    podman.remove_container(name)
