# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for a set of CloudWatch Logs log groups (no boto3 here).

A log group's state, from DescribeLogGroups and ListTagsForResource::

    name, arn (without the trailing ``:*``), retention (days, None when the group never expires), kms_key_id, tags

A wanted group leaves a setting it does not manage as ``None``. The plan is a list of ``(action, argument)`` tuples.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# The retention periods PutRetentionPolicy accepts (CloudWatch Logs API Reference, PutRetentionPolicy).
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
NAME = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")


def validate(groups):
    """Error messages for bad input, naming the option (empty when the input is fine)."""
    errors = []
    names = [g["name"] for g in groups]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.append(f"log_groups: each name once (twice: {', '.join(duplicates)})")
    for group in groups:
        if not NAME.match(group["name"]):
            errors.append(f"log_groups: {group['name']!r} is not a log group name (1-512 of A-Za-z0-9 . - _ / #)")
        retention = group.get("retention")
        if retention is not None and retention not in RETENTION_DAYS:
            errors.append(
                f"log_groups: {group['name']} - retention {retention} is not one CloudWatch Logs keeps "
                f"({', '.join(str(d) for d in RETENTION_DAYS)} days)"
            )
    return errors


def describe(group, tags=None):
    """A log group's state from DescribeLogGroups' entry and its tags (None when not read)."""
    arn = group.get("logGroupArn") or group.get("arn", "")
    if arn.endswith(":*"):
        arn = arn[:-2]
    return dict(
        name=group["logGroupName"],
        arn=arn or None,
        retention=group.get("retentionInDays"),
        kms_key_id=group.get("kmsKeyId"),
        tags=tags,
    )


def plan_present(current, groups, tags=None, purge_tags=True):
    """Actions that make the log groups (``current``: name -> state, missing ones absent) what is wanted."""
    actions = []
    for group in groups:
        name, have = group["name"], current.get(group["name"])
        if have is None:
            actions.append(("create", dict(name=name, kms_key_id=group.get("kms_key_id"), tags=dict(tags or {}))))
            if group.get("retention") is not None:
                actions.append(("put_retention", (name, group["retention"])))
            continue
        if group.get("retention") is not None and group["retention"] != have["retention"]:
            actions.append(("put_retention", (name, group["retention"])))
        if group.get("kms_key_id") and group["kms_key_id"] != have["kms_key_id"]:
            actions.append(("associate_kms_key", (name, group["kms_key_id"])))
        if tags is not None:
            to_set, to_unset = compare_aws_tags(have["tags"] or {}, tags, purge_tags)
            if to_set:
                actions.append(("tag", (name, to_set)))
            if to_unset:
                actions.append(("untag", (name, sorted(to_unset))))
    return actions


def plan_absent(current, names):
    return [("delete", name) for name in names if name in current]


def apply_plan(current, actions):
    """The log groups after ``actions``: name -> state."""
    after = {name: dict(state) for name, state in current.items()}
    for action, arg in actions:
        if action == "create":
            after[arg["name"]] = dict(
                name=arg["name"], arn=None, retention=None, kms_key_id=arg["kms_key_id"], tags=dict(arg["tags"])
            )
        elif action == "put_retention":
            after[arg[0]]["retention"] = arg[1]
        elif action == "associate_kms_key":
            after[arg[0]]["kms_key_id"] = arg[1]
        elif action == "tag":
            after[arg[0]]["tags"] = dict(after[arg[0]]["tags"] or {}, **arg[1])
        elif action == "untag":
            after[arg[0]]["tags"] = {k: v for k, v in (after[arg[0]]["tags"] or {}).items() if k not in arg[1]}
        elif action == "delete":
            after.pop(arg, None)
    return after


def label(action, arg):
    """A short, readable name of an action (the module's ``actions`` return)."""
    if action == "create":
        return f"create {arg['name']}"
    if action == "delete":
        return f"delete {arg}"
    if action == "put_retention":
        return f"put_retention {arg[0]} {arg[1]}"
    if action == "associate_kms_key":
        return f"associate_kms_key {arg[0]}"
    keys = sorted(arg[1]) if action == "tag" else arg[1]
    return f"{action} {arg[0]} {','.join(keys)}"
