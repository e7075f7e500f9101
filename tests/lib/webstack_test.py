"""Helpers for the integration tests: run playbooks, read their results, inspect the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from ansible_collections.illustra.webstack.plugins.module_utils._tagged import MANAGED_BY, find_tagged

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["MANAGED_BY", "ROOT", "PlaybookRun", "reset_emulator", "run_playbook", "tagged_resources"]


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


def tagged_resources(
    project: str | None = None, environment: str | None = None, region: str = "us-east-1"
) -> list[str]:
    """Every live resource in the emulator carrying our ManagedBy tag (and project/environment if given).

    The same code the collection's tagged_resources_info module runs (plugins/module_utils/_tagged.py).
    """
    return find_tagged(
        boto3.client("resourcegroupstaggingapi", region_name=region),
        boto3.client("ec2", region_name=region),
        project,
        environment,
    )
