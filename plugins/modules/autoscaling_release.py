#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: autoscaling_release
version_added: 0.1.0
short_description: Roll an Auto Scaling Group onto a launch template version with an instance refresh, or roll it back
description:
  - Makes an Auto Scaling Group run a given launch template version by starting an instance refresh
    with that version as its desired configuration, a minimum (and maximum) healthy percentage,
    optional checkpoints and automatic rollback, then waits for the outcome and reports it.
  - Auto Scaling replaces the instances in batches (Pending, then InProgress, pausing at each checkpoint),
    counts a replacement once it passes the group's health checks (the target groups' health for a
    group with the ELB health check) and has warmed up, and applies the desired configuration to the
    group only when the refresh succeeds. When health does not come it keeps retrying for up to an hour,
    then fails; with automatic rollback it goes RollbackInProgress and replaces what it deployed with the
    group's previous configuration (RollbackSuccessful or RollbackFailed).
  - The module polls DescribeInstanceRefreshes every O(poll_interval) seconds (Auto Scaling has no waiter
    for instance refreshes) and returns every status it saw, with the status reason Auto Scaling gave.
  - Idempotent. When the group already runs the version (its configuration and every instance that is
    not terminating), nothing happens. When a refresh towards the same version is already under way (for
    example a previous run timed out), the module waits for it instead of starting another. A rollback
    or cancellation under way is waited for, then the module plans again.
  - O(state=rolled_back) returns the group to a known good version; an instance refresh still under way
    towards another version is rolled back first (RollbackInstanceRefresh).
  - O(state=cancelled) cancels an instance refresh under way (Cancelling, then Cancelled; instances
    already replaced keep the new version).
  - A refresh that fails, is cancelled or rolls back makes the module fail with the status reason and
    what it means for the group, so a playbook can roll back or alert.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the Auto Scaling Group.
    type: str
    required: true
  state:
    description: What the group should end up doing.
    type: str
    choices: [refreshed, rolled_back, cancelled]
    default: refreshed
  launch_template_id:
    description: Launch template of the group. Required unless O(state=cancelled).
    type: str
  version:
    description: Launch template version to run (a number, never V($Latest)/V($Default), so rollback can work).
    type: int
  min_healthy_percentage:
    description: Percentage of the desired capacity that must stay healthy during the refresh.
    type: int
    default: 100
  max_healthy_percentage:
    description:
      - Percentage of the desired capacity the group may grow to during the refresh (launch before terminate).
      - 0 leaves it unset (terminate before launch).
    type: int
    default: 200
  instance_warmup:
    description:
      - Seconds after a replacement enters service before it counts as updated and the next batch may start.
      - Omit for the group's default (its default instance warmup, or its health check grace period).
    type: int
  checkpoint_percentages:
    description: Pause points (percent replaced, ascending, ending with 100).
    type: list
    elements: int
    default: []
  checkpoint_delay:
    description: Seconds to pause at each checkpoint.
    type: int
  auto_rollback:
    description: Let Auto Scaling roll back by itself when the refresh fails.
    type: bool
    default: true
  wait:
    description: Wait for the refresh to end and fail unless it succeeded.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two reads of the refresh's status while waiting.
      - Each read is one DescribeInstanceRefreshes call; a refresh takes minutes, so tens of seconds are enough.
    type: int
    default: 15
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Returns the state before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Roll the backend onto the release's launch template version
  illustra.webstack.autoscaling_release:
    name: illustra-prod-backend
    launch_template_id: "{{ asg__output.launch_template_id }}"
    version: "{{ asg__output.launch_template_version }}"
    min_healthy_percentage: 100
    checkpoint_percentages: [50, 100]
    checkpoint_delay: 120

- name: Return to the last known good release
  illustra.webstack.autoscaling_release:
    name: illustra-prod-backend
    state: rolled_back
    launch_template_id: "{{ asg__output.launch_template_id }}"
    version: "{{ last_good.launch_template_version }}"
"""

RETURN = r"""
instance_refresh:
  description: The instance refresh the module started or waited for (empty when none was needed).
  returned: always
  type: dict
  contains:
    instance_refresh_id:
      description: Id of the refresh.
      type: str
    status:
      description: Last status read.
      type: str
      sample: Successful
    status_reason:
      description: Why the refresh has this status.
      type: str
    percentage_complete:
      description: Percentage of instances replaced.
      type: int
    instances_to_update:
      description: Instances left to replace.
      type: int
    rollback_reason:
      description: Why the refresh was rolled back, when it was.
      type: str
    percentage_complete_on_rollback:
      description: How far the refresh had got when the rollback started.
      type: int
    statuses:
      description: Every status the module saw while waiting, in order (checkpoints show as InProgress with their reason).
      type: list
      elements: dict
      sample: [{"status": "Pending"}, {"status": "InProgress", "status_reason": "Waiting for instances to warm up ..."}]
previous_instance_refresh:
  description: The rollback or cancellation under way that the module waited for before acting (same keys as RV(instance_refresh)).
  returned: when one was under way
  type: dict
launch_template_version:
  description: The version the group runs (or is moving to).
  returned: always
  type: str
actions:
  description: What the module did (or would do in check mode).
  returned: always
  type: list
  elements: str
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.illustra.webstack.plugins.module_utils import _autoscaling_web as aw
from ansible_collections.illustra.webstack.plugins.module_utils._autoscaling_web import AnsibleAutoscalingWebError


def wait_for_refresh(module, client, name, refresh_id, *, sleep=None, clock=None):
    """Poll the refresh until it leaves the active states; returns its last description.

    Auto Scaling has no waiter for instance refreshes, so this polls every poll_interval seconds. The
    description carries `statuses`: each distinct (status, reason) seen, in order.
    """
    sleep = sleep or time.sleep
    clock = clock or time.time
    deadline = clock() + module.params["wait_timeout"]
    seen = []
    while True:
        refreshes = aw.describe_refreshes(client, name)
        refresh = next((r for r in refreshes if r["InstanceRefreshId"] == refresh_id), None)
        if refresh is None:
            module.fail_json(msg=f"instance refresh {refresh_id} of {name} disappeared")
        step = {"status": refresh.get("Status")}
        if refresh.get("StatusReason"):
            step["status_reason"] = refresh["StatusReason"]
        if not seen or seen[-1] != step:
            seen.append(step)
        refresh = dict(refresh, statuses=seen)
        outcome, message = aw.refresh_outcome(refresh)
        if outcome != "active":
            return refresh
        if clock() > deadline:
            module.fail_json(
                msg="Timeout after {}s: {}".format(module.params["wait_timeout"], message),
                instance_refresh=summarize(refresh),
                changed=True,
            )
        sleep(module.params["poll_interval"])


def summarize(refresh):
    out = aw.summarize_refresh(refresh)
    if out and refresh.get("statuses") is not None:
        out["statuses"] = refresh["statuses"]
    return out


def run(module, client):
    p = module.params
    check = module.check_mode
    name = p["name"]
    actions = []
    group = aw.describe_asg(client, name)
    if group is None:
        if check:
            return {"changed": True, "actions": ["start instance refresh"], "instance_refresh": {}}
        module.fail_json(msg=f"Auto Scaling Group {name} not found")
    refreshes = aw.describe_refreshes(client, name)
    _lt, group_version = aw.group_launch_template(group)
    result = {"instance_refresh": {}, "launch_template_version": group_version}

    if p["state"] == "cancelled":
        active = next((r for r in refreshes if r.get("Status") in aw.REFRESH_ACTIVE), None)
        if active is None or active.get("Status") == "Cancelling":
            return dict(result, changed=False, actions=[], instance_refresh=summarize(active))
        actions.append("cancel instance refresh {}".format(active["InstanceRefreshId"]))
        refresh = active
        if not check:
            aw.cancel_refresh(client, name)
            if p["wait"]:
                refresh = wait_for_refresh(module, client, name, active["InstanceRefreshId"])
        return dict(result, changed=True, actions=actions, instance_refresh=summarize(refresh))

    lt_id, version = p["launch_template_id"], p["version"]
    action, refresh_id = aw.plan_refresh(group, refreshes, lt_id, version, p["state"])
    result["launch_template_version"] = str(version)
    result["diff"] = {
        "before": {"launch_template_version": group_version},
        "after": {"launch_template_version": str(version)},
    }
    if action in ("settle", "rollback"):
        if action == "rollback":
            actions.append(f"roll back instance refresh {refresh_id}")
        else:
            actions.append(f"wait for instance refresh {refresh_id} to finish its rollback or cancellation")
        if check:
            return dict(result, changed=True, actions=[*actions, "start instance refresh"])
        if action == "rollback":
            aw.rollback_refresh(client, name)
        settled = wait_for_refresh(module, client, name, refresh_id)
        if settled.get("Status") not in ("RollbackSuccessful", "Cancelled", "Successful", "Failed"):
            module.fail_json(msg=aw.refresh_outcome(settled)[1], instance_refresh=summarize(settled), changed=True)
        result["previous_instance_refresh"] = summarize(settled)
        group = aw.describe_asg(client, name)
        action, refresh_id = aw.plan_refresh(group, [], lt_id, version, p["state"])
        if action == "none":
            return dict(result, changed=True, actions=actions, instance_refresh=summarize(settled))
    if action == "none":
        return dict(result, changed=False, actions=[])
    if action == "conflict":
        module.fail_json(
            msg=f"Instance refresh {refresh_id} of {name} is under way towards another launch template version. "
            "Wait for it, or use state=rolled_back (or cancelled).",
        )

    if action == "start":
        actions.append(f"start instance refresh to version {version}")
        if check:
            return dict(result, changed=True, actions=actions)
        refresh_id = aw.start_refresh(
            client,
            name,
            {"LaunchTemplate": {"LaunchTemplateId": lt_id, "Version": str(version)}},
            aw.refresh_preferences(p),
        )
    else:
        actions.append(f"wait for instance refresh {refresh_id}")

    refresh = {"InstanceRefreshId": refresh_id, "Status": "Pending"}
    if p["wait"] and not check:
        refresh = wait_for_refresh(module, client, name, refresh_id)
        outcome, message = aw.refresh_outcome(refresh)
        if outcome != "success":
            module.fail_json(msg=message, instance_refresh=summarize(refresh), changed=True, actions=actions)
    return dict(result, changed=True, actions=actions, instance_refresh=summarize(refresh))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["refreshed", "rolled_back", "cancelled"], default="refreshed"),
        launch_template_id=dict(type="str"),
        version=dict(type="int"),
        min_healthy_percentage=dict(type="int", default=100),
        max_healthy_percentage=dict(type="int", default=200),
        instance_warmup=dict(type="int"),
        checkpoint_percentages=dict(type="list", elements="int", default=[]),
        checkpoint_delay=dict(type="int"),
        auto_rollback=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="int", default=15),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ("state", "refreshed", ["launch_template_id", "version"]),
            ("state", "rolled_back", ["launch_template_id", "version"]),
        ],
    )
    message = aw.validate_refresh(module.params)
    if message:
        module.fail_json(msg=message)
    client = module.client("autoscaling")
    try:
        result = run(module, client)
    except AnsibleAutoscalingWebError as e:
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
