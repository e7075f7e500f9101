# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for an AWS Backup vault, a backup plan into it and the plan's resource selections (no boto3 here).

The current state, as the module reads it::

    vault   {name, arn, encryption_key_arn, recovery_points, tags} or None
    plans   [{name, id, arn, version_id, rules (AWS's shape), tags,
              selections [{id, SelectionName, IamRoleArn, Resources, NotResources, ListOfTags, Conditions}]}]

Plans are found by name; AWS Backup does not stop two plans from sharing one, so removal takes every plan of the
name and convergence refuses to guess between them. Rules and selections are kept in the API's shape, and
compared on what the caller sets (AWS fills in defaults for the rest). The plans are lists of
``(action, argument)`` tuples, applied in order.
"""

import copy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

CONDITION_OPERATORS = {
    "string_equals": "StringEquals",
    "string_not_equals": "StringNotEquals",
    "string_like": "StringLike",
    "string_not_like": "StringNotLike",
}
# Rule options and where each goes in AWS Backup's BackupRule.
RULE_FIELDS = {
    "schedule_expression": "ScheduleExpression",
    "schedule_expression_timezone": "ScheduleExpressionTimezone",
    "start_window_minutes": "StartWindowMinutes",
    "completion_window_minutes": "CompletionWindowMinutes",
    "enable_continuous_backup": "EnableContinuousBackup",
    "recovery_point_tags": "RecoveryPointTags",
}
LIFECYCLE_FIELDS = {
    "delete_after_days": "DeleteAfterDays",
    "move_to_cold_storage_after_days": "MoveToColdStorageAfterDays",
}


class PlanError(Exception):
    """What is asked cannot be done (the message names the option and the fix)."""


def validate(params):
    """Error messages for bad input, naming the option (empty when the input is fine)."""
    errors = []
    if params["state"] != "present":
        return errors
    rules = params.get("rules") or []
    if not rules:
        errors.append("rules: a backup plan needs at least one rule")
    names = [r["name"] for r in rules]
    if len(set(names)) != len(names):
        errors.append("rules: each rule name once")
    for rule in rules:
        delete, cold = rule.get("delete_after_days"), rule.get("move_to_cold_storage_after_days")
        if delete is not None and cold is not None and delete < cold + 90:
            errors.append(
                f"rules: {rule['name']} - delete_after_days must be at least 90 days after "
                "move_to_cold_storage_after_days (cold storage keeps a recovery point 90 days)"
            )
        start, completion = rule.get("start_window_minutes"), rule.get("completion_window_minutes")
        if start is not None and start < 60:
            errors.append(f"rules: {rule['name']} - start_window_minutes must be at least 60")
        if start is not None and completion is not None and completion <= start:
            errors.append(f"rules: {rule['name']} - completion_window_minutes must be more than start_window_minutes")
    selections = params.get("selections") or []
    names = [s["name"] for s in selections]
    if len(set(names)) != len(names):
        errors.append("selections: each selection name once")
    for selection in selections:
        if not selection.get("resources") and not selection.get("list_of_tags"):
            errors.append(
                f"selections: {selection['name']} selects nothing - give resources (ARNs, wildcards allowed) or "
                "list_of_tags"
            )
        if not selection.get("iam_role_arn", "").startswith("arn:"):
            errors.append(
                f"selections: {selection['name']} - iam_role_arn must be the ARN of the role AWS Backup assumes"
            )
    return errors


def rule_to_api(rule, vault_name):
    """A rule option as AWS Backup's BackupRuleInput, with only what is set."""
    api = {"RuleName": rule["name"], "TargetBackupVaultName": vault_name}
    for option, key in RULE_FIELDS.items():
        if rule.get(option) is not None:
            api[key] = rule[option]
    lifecycle = {key: rule[option] for option, key in LIFECYCLE_FIELDS.items() if rule.get(option) is not None}
    if lifecycle:
        api["Lifecycle"] = lifecycle
    return api


def selection_to_api(selection):
    """A selection option as AWS Backup's BackupSelection."""
    api = {
        "SelectionName": selection["name"],
        "IamRoleArn": selection["iam_role_arn"],
        "Resources": list(selection.get("resources") or []),
        "NotResources": list(selection.get("not_resources") or []),
        "ListOfTags": [
            {
                "ConditionType": tag.get("condition_type") or "STRINGEQUALS",
                "ConditionKey": tag["condition_key"],
                "ConditionValue": tag["condition_value"],
            }
            for tag in selection.get("list_of_tags") or []
        ],
    }
    conditions = selection.get("conditions") or {}
    api["Conditions"] = {
        key: [
            {"ConditionKey": c["condition_key"], "ConditionValue": c["condition_value"]}
            for c in conditions.get(option) or []
        ]
        for option, key in CONDITION_OPERATORS.items()
    }
    return api


def comparable_selection(api):
    """A selection in a form where equal selections compare equal (order and empty parts do not matter)."""
    conditions = api.get("Conditions") or {}
    return dict(
        name=api["SelectionName"],
        iam_role_arn=api["IamRoleArn"],
        resources=sorted(api.get("Resources") or []),
        not_resources=sorted(api.get("NotResources") or []),
        list_of_tags=sorted(
            (t.get("ConditionType", "STRINGEQUALS"), t["ConditionKey"], t["ConditionValue"])
            for t in api.get("ListOfTags") or []
        ),
        conditions={
            key: sorted((c["ConditionKey"], c["ConditionValue"]) for c in conditions.get(key) or [])
            for key in CONDITION_OPERATORS.values()
            if conditions.get(key)
        },
    )


def rules_differ(current, wanted):
    """Whether the plan's rules (AWS's shape) differ from the wanted ones in anything the caller sets."""
    have = {r["RuleName"]: r for r in current}
    if set(have) != {r["RuleName"] for r in wanted}:
        return True
    for rule in wanted:
        existing = have[rule["RuleName"]]
        for key, value in rule.items():
            if key == "Lifecycle":
                if any((existing.get("Lifecycle") or {}).get(k) != v for k, v in value.items()):
                    return True
            elif existing.get(key) != value:
                return True
    return False


def _tag_actions(kind, arn, have, tags, purge):
    if tags is None:
        return []
    to_set, to_unset = compare_aws_tags(have or {}, tags, purge)
    actions = [(f"tag_{kind}", (arn, to_set))] if to_set else []
    if to_unset:
        actions.append((f"untag_{kind}", (arn, sorted(to_unset))))
    return actions


def plan_present(current, params):
    """Actions that make the vault, the plan and its selections what ``params`` (the module's) asks for."""
    vault_name, plan_name, tags, purge = params["vault_name"], params["plan_name"], params["tags"], params["purge_tags"]
    plans = current["plans"]
    if len(plans) > 1:
        raise PlanError(
            f"plan_name: {len(plans)} backup plans are named {plan_name} ({', '.join(p['id'] for p in plans)}); "
            "delete the extra ones, or run with state=absent to remove them all"
        )
    actions = []
    vault = current["vault"]
    if vault is None:
        actions.append(
            ("create_vault", dict(name=vault_name, kms_key_arn=params.get("vault_kms_key_arn"), tags=dict(tags or {})))
        )
    else:
        actions += _tag_actions("vault", vault["arn"], vault["tags"], tags, purge)

    rules = [rule_to_api(rule, vault_name) for rule in params["rules"]]
    plan = plans[0] if plans else None
    if plan is None:
        actions.append(("create_plan", dict(name=plan_name, rules=rules, tags=dict(tags or {}))))
    else:
        if rules_differ(plan["rules"], rules):
            actions.append(("update_plan", dict(id=plan["id"], name=plan_name, rules=rules)))
        actions += _tag_actions("plan", plan["arn"], plan["tags"], tags, purge)

    have = {s["SelectionName"]: s for s in (plan or {}).get("selections", [])}
    wanted = {s["name"]: selection_to_api(s) for s in params.get("selections") or []}
    for name, selection in wanted.items():
        existing = have.get(name)
        if existing is not None and comparable_selection(existing) == comparable_selection(selection):
            continue
        if existing is not None:  # selections cannot be changed: replaced
            actions.append(("delete_selection", dict(plan_id=plan["id"], id=existing["id"], name=name)))
        actions.append(("create_selection", dict(plan_id=plan["id"] if plan else None, selection=selection)))
    if params.get("purge_selections", True):
        for name in sorted(set(have) - set(wanted)):
            actions.append(("delete_selection", dict(plan_id=plan["id"], id=have[name]["id"], name=name)))
    return actions


def plan_absent(current, force=False):
    """Actions that remove every plan of the name (its selections first), then the vault.

    A vault that holds recovery points is kept, unless ``force``: its recovery points go first. Returns
    ``(actions, kept)``: ``kept`` explains what stays, or is empty.
    """
    actions = []
    for plan in current["plans"]:
        for selection in plan["selections"]:
            actions.append(
                ("delete_selection", dict(plan_id=plan["id"], id=selection["id"], name=selection["SelectionName"]))
            )
        actions.append(("delete_plan", dict(id=plan["id"], name=plan["name"])))
    vault, kept = current["vault"], ""
    if vault is not None:
        if vault["recovery_points"] and not force:
            kept = (
                f"The backup vault {vault['name']} is kept: it holds {vault['recovery_points']} recovery point(s). "
                "force=true deletes them with the vault."
            )
        else:
            if vault["recovery_points"]:
                actions.append(("delete_recovery_points", vault["name"]))
            actions.append(("delete_vault", vault["name"]))
    return actions, kept


def apply_plan(current, actions):
    """The state after ``actions`` (what check mode and --diff report). Ids of what is created stay unknown."""
    after = copy.deepcopy(current)
    for action, arg in actions:
        if action == "create_vault":
            after["vault"] = dict(
                name=arg["name"],
                arn=None,
                encryption_key_arn=arg["kms_key_arn"],
                recovery_points=0,
                tags=dict(arg["tags"]),
            )
        elif action == "create_plan":
            after["plans"] = [
                dict(
                    name=arg["name"],
                    id=None,
                    arn=None,
                    version_id=None,
                    rules=arg["rules"],
                    tags=dict(arg["tags"]),
                    selections=[],
                )
            ]
        elif action == "update_plan":
            after["plans"][0].update(rules=arg["rules"], version_id=None)
        elif action in ("tag_vault", "untag_vault", "tag_plan", "untag_plan"):
            target = after["vault"] if action.endswith("vault") else after["plans"][0]
            keys = arg[1]
            target["tags"] = (
                dict(target["tags"] or {}, **keys)
                if action.startswith("tag")
                else {k: v for k, v in (target["tags"] or {}).items() if k not in keys}
            )
        elif action == "create_selection":
            after["plans"][0]["selections"].append(dict(arg["selection"], id=None))
        elif action == "delete_selection":
            for plan in after["plans"]:
                plan["selections"] = [
                    s for s in plan["selections"] if s["SelectionName"] != arg["name"] or s["id"] != arg["id"]
                ]
        elif action == "delete_plan":
            after["plans"] = [p for p in after["plans"] if p["id"] != arg["id"]]
        elif action == "delete_recovery_points":
            after["vault"]["recovery_points"] = 0
        elif action == "delete_vault":
            after["vault"] = None
    return after


def public(state):
    """The state as the module returns it: the vault, the plan of the name and its selections, in snake case."""
    plan = state["plans"][0] if state["plans"] else None
    if plan is not None:
        plan = dict(
            name=plan["name"],
            id=plan["id"],
            arn=plan["arn"],
            version_id=plan["version_id"],
            rules=[camel_dict_to_snake_dict(rule, ignore_list=["RecoveryPointTags"]) for rule in plan["rules"]],
            tags=plan["tags"],
        )
    selections = [
        dict(comparable_selection(s), id=s["id"], conditions=camel_dict_to_snake_dict(s.get("Conditions") or {}))
        for s in (state["plans"][0]["selections"] if state["plans"] else [])
    ]
    for selection in selections:
        selection["list_of_tags"] = [
            dict(condition_type=t, condition_key=k, condition_value=v) for t, k, v in selection["list_of_tags"]
        ]
    return dict(vault=state["vault"], plan=plan, selections=selections)


def label(action, arg):
    """A short, readable name of an action (the module's ``actions`` return)."""
    if action in ("create_vault", "delete_vault", "delete_recovery_points"):
        return f"{action} {arg['name'] if isinstance(arg, dict) else arg}"
    if action in ("create_plan", "update_plan", "delete_plan", "delete_selection"):
        return f"{action} {arg['name']}"
    if action == "create_selection":
        return f"create_selection {arg['selection']['SelectionName']}"
    if action.startswith(("tag_", "untag_")):
        keys = sorted(arg[1]) if action.startswith("tag_") else arg[1]
        return f"{action} {','.join(keys)}"
    return action
