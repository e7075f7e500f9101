"""Helpers for the integration tests: run playbooks, read their results, inspect the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
MANAGED_BY = "illustra.webstack"


def reset_emulator(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.status == 200


@dataclass
class PlaybookRun:
    rc: int
    stats: dict
    plays: list
    stdout: str
    stderr: str
    tasks: list = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(h.get("changed", 0) for h in self.stats.values())

    @property
    def failed(self) -> int:
        return sum(h.get("failures", 0) + h.get("unreachable", 0) for h in self.stats.values())

    def changed_tasks(self) -> list[str]:
        return [t["name"] for t in self.tasks if any(r.get("changed") for r in t["hosts"].values())]

    def failure_messages(self) -> list[str]:
        """Messages of failed tasks, and of the failed items of failed loops."""
        messages = []
        for t in self.tasks:
            for r in t["hosts"].values():
                if not r.get("failed"):
                    continue
                messages.append(str(r.get("msg", r)))
                messages += [
                    str(i.get("msg", i)) for i in r.get("results", []) if isinstance(i, dict) and i.get("failed")
                ]
        return messages

    def result(self, task_name: str, host: str = "localhost") -> dict:
        """The result of the last task with this name (for registered outputs)."""
        for t in reversed(self.tasks):
            if t["name"] == task_name and host in t["hosts"]:
                return t["hosts"][host]
        raise KeyError(f"no task named {task_name!r} ran on {host}")

    def summary(self) -> str:
        return f"rc={self.rc} stats={self.stats}\nchanged: {self.changed_tasks()}\nfailures: {self.failure_messages()}"


def run_playbook(
    playbook: str,
    inventory: str | None = None,
    extra_vars: dict | None = None,
    check: bool = False,
    diff: bool = False,
    tags: str | None = None,
    verbosity: int = 0,
    env: dict | None = None,
    timeout: int = 900,
) -> PlaybookRun:
    """Run `ansible-playbook` from the project root with the JSON callback and parse the result."""
    cmd = ["ansible-playbook", str(ROOT / playbook)]
    if inventory:
        cmd += ["-i", str(ROOT / inventory)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if tags:
        cmd += ["--tags", tags]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    run_env = dict(os.environ)
    run_env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{ROOT / '.venv' / 'bin'}:{run_env.get('PATH', '')}",
    )
    run_env.update(env or {})
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    start = proc.stdout.find("{")
    try:
        data = json.loads(proc.stdout[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        data = {}
    tasks = [
        {"name": t["task"]["name"], "hosts": t.get("hosts", {})}
        for play in data.get("plays", [])
        for t in play["tasks"]
    ]
    return PlaybookRun(proc.returncode, data.get("stats", {}), data.get("plays", []), proc.stdout, proc.stderr, tasks)


def _live(item):
    return item.get("State", "available") not in ("deleted", "deleting", "failed")


EC2_TAGGED = [
    ("describe_vpcs", "Vpcs", "VpcId", _live),
    ("describe_subnets", "Subnets", "SubnetId", _live),
    ("describe_security_groups", "SecurityGroups", "GroupId", _live),
    ("describe_route_tables", "RouteTables", "RouteTableId", _live),
    ("describe_internet_gateways", "InternetGateways", "InternetGatewayId", _live),
    ("describe_nat_gateways", "NatGateways", "NatGatewayId", _live),
    ("describe_addresses", "Addresses", "AllocationId", _live),
    ("describe_flow_logs", "FlowLogs", "FlowLogId", _live),
    ("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId", _live),
    ("describe_volumes", "Volumes", "VolumeId", _live),
    ("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId", _live),
]


def tagged_resources(
    project: str | None = None, environment: str | None = None, region: str = "us-east-1"
) -> list[str]:
    """Every resource in the emulator carrying our ManagedBy tag (and project/environment if given).

    Uses the resource groups tagging API plus EC2's describe calls, which cover EC2 types the
    tagging API on the emulator misses.
    """
    filters = {"ManagedBy": MANAGED_BY}
    if project:
        filters["Project"] = project
    if environment:
        filters["Environment"] = environment
    found = set()
    tagging = boto3.client("resourcegroupstaggingapi", region_name=region)
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": k, "Values": [v]} for k, v in filters.items()]
    ):
        # EC2 resources are counted below, by their own describe calls, which know which are alive.
        found.update(r["ResourceARN"] for r in page["ResourceTagMappingList"] if ":ec2:" not in r["ResourceARN"])
    ec2 = boto3.client("ec2", region_name=region)
    tag_filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in filters.items()]
    # EC2's own describe calls, type by type: its tag index (DescribeTags) keeps entries of deleted
    # resources on the emulator, so only the live resources count.
    for call, key, id_field, alive in EC2_TAGGED:
        for item in getattr(ec2, call)(Filters=tag_filters)[key]:
            if alive(item):
                found.add(f"{call.replace('describe_', '')}/{item[id_field]}")
    for reservation in ec2.describe_instances(Filters=tag_filters)["Reservations"]:
        for instance in reservation["Instances"]:
            if instance["State"]["Name"] not in ("terminated", "shutting-down"):
                found.add(f"instance/{instance['InstanceId']}")
    return sorted(found)
