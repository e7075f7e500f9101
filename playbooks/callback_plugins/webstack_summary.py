# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import os
import re

from ansible import constants, context
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: webstack_summary
type: aggregate
short_description: What a run of the stack built, printed after the play recap
description:
  - Counts the changed tasks of every role as the run goes, and prints, after the play recap, the
    summary that C(playbooks/summary.yml) publishes as the fact C(webstack_run_summary) (endpoints,
    name servers of a new zone, the cost estimate against the budget, the validation verdict with
    skipped gates named as skipped) followed by what changed, role by role.
  - Loaded by ansible-playbook for the playbooks beside it (an adjacent plugin that needs no enabling).
  - A run of C(site.yml) that fails before its summary play still prints what is known (the failed
    task, the validation gates if they ran, what changed). Other playbooks print nothing, and so do
    machine-readable stdout callbacks (JSON), whose output must stay parseable.
author:
  - illustra.webstack developers (@illustra)
"""


SUMMARY_FACT = "webstack_run_summary"
GATES_FACT = "validate__gates"
STATUS_WORDS = {"ok": "ok", "failed": "FAILED", "skipped": "skipped"}


def _role_of(task):
    """The role a task belongs to (short name), or None for a play's own tasks."""
    role = getattr(task, "_role", None)
    if role is None:
        return None
    try:
        return role.get_name(include_role_fqcn=False)
    except TypeError:  # older ansible-core: no include_role_fqcn
        return role.get_name().rsplit(".", 1)[-1]


def changes_line(changes):
    """'vpc 3, alb 1 (4 tasks)' or 'nothing' from {role: count}."""
    if not changes:
        return "nothing"
    parts = [f"{role} {count}" for role, count in sorted(changes.items(), key=lambda i: (-i[1], i[0]))]
    return "{} ({} changed task{})".format(
        ", ".join(parts), sum(changes.values()), "" if sum(changes.values()) == 1 else "s"
    )


def render(summary, changes, gates=None, failed_at=None, check=False):
    """The summary as lines of text (pure: unit-tested without Ansible)."""
    summary = summary or {}
    title = "{} {}".format(summary.get("project", ""), summary.get("environment", "")).strip() or "this run"
    lines = ["", f"SUMMARY of {title} ".ljust(79, "*")]
    endpoints = summary.get("endpoints") or {}
    labels = (
        ("website", "website URL"),
        ("api", "API URL"),
        ("cloudfront_domain", "CloudFront domain"),
        ("alb_dns_name", "ALB DNS name"),
    )
    shown = [(label, endpoints.get(key)) for key, label in labels if endpoints.get(key)]
    if shown:
        lines.append("endpoints")
        lines += [f"  {label:<18} {value}" for label, value in shown]
    zone = summary.get("zone") or {}
    if zone.get("name_servers") and zone.get("new"):
        lines.append(
            "name servers       set these at the registrar of {} (a new zone):".format(zone.get("name", "the domain"))
        )
        lines += [f"  {ns}" for ns in zone["name_servers"]]
    cost = summary.get("cost") or {}
    if cost:
        lines.append(
            "cost               ~${:.2f}/month estimated, budget ${:.2f} ({}% of it{})".format(
                float(cost.get("total_usd", 0)),
                float(cost.get("budget_usd", 0)),
                cost.get("percent_of_budget", "?"),
                "" if cost.get("within_budget", True) else ", OVER BUDGET",
            )
        )
    gates = gates if gates is not None else (summary.get("validation") or {}).get("gates")
    validation = summary.get("validation") or {}
    if gates:
        failed = [g["gate"] for g in gates if g.get("status") == "failed" and g.get("blocking", True)]
        warned = [g["gate"] for g in gates if g.get("status") == "failed" and not g.get("blocking", True)]
        skipped = [g["gate"] for g in gates if g.get("status") == "skipped"]
        verdict = "FAILED" if failed else "passed"
        if warned:
            verdict += f", {len(warned)} failed without blocking (policy level)"
        if skipped:
            verdict += f", {len(skipped)} skipped"
        lines.append(f"validation         {verdict}")
        lines += [
            "  {:<18} {}{}".format(
                g["gate"],
                STATUS_WORDS.get(g.get("status"), g.get("status")),
                (": " + "; ".join(re.sub(r"^skipped: ", "", str(d)) for d in g.get("details") or []))
                if g.get("status") in ("failed", "skipped")
                else "",
            )
            for g in gates
        ]
    else:
        lines.append("validation         skipped: {}".format(validation.get("reason") or "it did not run"))
    if failed_at:
        lines.append(f"run                FAILED at: {failed_at}")
    label = "would change (--check)" if check else "changed           "
    lines.append(f"{label} {changes_line(changes)}")
    lines.append("*" * 79)
    return lines


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "webstack_summary"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self, display=None):
        super().__init__(display=display)
        self._changes = {}
        self._summary = None
        self._gates = None
        self._failed_at = None
        self._site = False

    def v2_playbook_on_start(self, playbook):
        self._site = os.path.basename(getattr(playbook, "_file_name", "") or "") == "site.yml"

    def _count(self, result):
        task = result._task
        role = _role_of(task)
        if result._result.get("changed", False):
            key = role or "(playbook tasks)"
            self._changes[key] = self._changes.get(key, 0) + 1
        facts = result._result.get("ansible_facts") or {}
        if SUMMARY_FACT in facts:
            self._summary = facts[SUMMARY_FACT]
        if GATES_FACT in facts:
            self._gates = facts[GATES_FACT]

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors and self._failed_at is None:
            self._failed_at = result._task.get_name()

    def v2_playbook_on_stats(self, stats):
        stdout = str(constants.config.get_config_value("DEFAULT_STDOUT_CALLBACK") or "")
        if "json" in stdout:
            return
        if self._summary is None and self._gates is None and not self._site:
            return
        check = bool((context.CLIARGS or {}).get("check"))
        for line in render(self._summary, self._changes, self._gates, self._failed_at, check):
            self._display.display(line)
