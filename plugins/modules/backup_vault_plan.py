#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: backup_vault_plan
short_description: Manage an AWS Backup vault, a backup plan into it and the plan's resource selections, in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes an AWS Backup vault, a backup plan whose rules back up into that vault, and the
    plan's resource selections (which resources, by ARN or tag, and the IAM role AWS Backup uses) - what the stock
    modules take four tasks for (M(amazon.aws.backup_vault), M(amazon.aws.backup_plan),
    M(amazon.aws.backup_plan_info) in check mode, M(amazon.aws.backup_selection)).
  - The vault and the plan are found by name. A selection that differs from the wanted one is replaced (AWS Backup
    cannot change a selection).
  - With O(state=absent), every plan of the name loses its selections, then is deleted, then the vault is - what
    exists is removed, whatever was asked for when it was created. A vault that holds recovery points is kept
    (with a warning) unless O(force=true).
author:
  - illustra.webstack developers (@illustra)
options:
  vault_name:
    description: The backup vault's name.
    type: str
    required: true
  vault_kms_key_arn:
    description:
      - The KMS key a new vault encrypts recovery points with; omitted, AWS Backup uses its own key. A vault's key
        cannot change later; a different key on an existing vault is reported as a warning.
    type: str
  plan_name:
    description: The backup plan's name.
    type: str
    required: true
  rules:
    description:
      - The plan's rules (required with O(state=present)); each backs up into O(vault_name). Options left out take
        AWS Backup's defaults and are not compared.
    type: list
    elements: dict
    suboptions:
      name:
        description: The rule's name.
        type: str
        required: true
      schedule_expression:
        description: When backups start, a cron expression in UTC such as V(cron(0 3 ? * * *)).
        type: str
      schedule_expression_timezone:
        description: The time zone of O(rules[].schedule_expression), for example V(Etc/UTC).
        type: str
      start_window_minutes:
        description: Minutes after the scheduled time within which a backup must start (at least 60).
        type: int
      completion_window_minutes:
        description: Minutes after the start within which a backup must complete.
        type: int
      delete_after_days:
        description: Days a recovery point is kept.
        type: int
      move_to_cold_storage_after_days:
        description: Days after which a recovery point moves to cold storage.
        type: int
      enable_continuous_backup:
        description: Continuous backups (point-in-time restore) for the resources that support them.
        type: bool
      recovery_point_tags:
        description: Tags the rule's recovery points get.
        type: dict
  selections:
    description:
      - The plan's resource selections.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The selection's name.
        type: str
        required: true
      iam_role_arn:
        description: The ARN of the IAM role AWS Backup assumes to back up and restore the selected resources.
        type: str
        required: true
      resources:
        description: ARNs (wildcards allowed) of the resources selected.
        type: list
        elements: str
        default: []
      not_resources:
        description: ARNs (wildcards allowed) of resources left out.
        type: list
        elements: str
        default: []
      list_of_tags:
        description: Resources with any of these tags are selected.
        type: list
        elements: dict
        default: []
        suboptions:
          condition_type:
            description: Only V(STRINGEQUALS).
            type: str
            choices: [STRINGEQUALS]
            default: STRINGEQUALS
          condition_key:
            description: The tag key.
            type: str
            required: true
          condition_value:
            description: The tag value.
            type: str
            required: true
      conditions:
        description: Conditions every selected resource meets (all of them), on its tags.
        type: dict
        suboptions:
          string_equals:
            description: Tag conditions, for example V(condition_key=aws:ResourceTag/Project).
            type: list
            elements: dict
          string_not_equals:
            description: As O(selections[].conditions.string_equals), negated.
            type: list
            elements: dict
          string_like:
            description: As O(selections[].conditions.string_equals), with wildcards.
            type: list
            elements: dict
          string_not_like:
            description: As O(selections[].conditions.string_like), negated.
            type: list
            elements: dict
  purge_selections:
    description: Delete the plan's selections that O(selections) does not name.
    type: bool
    default: true
  state:
    description: Whether the vault, the plan and its selections exist.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: With O(state=absent), delete the vault's recovery points too (backups are lost), so the vault goes.
    type: bool
    default: false
  wait_timeout:
    description: With O(force=true), how many seconds to wait for deleted recovery points to go before the vault is deleted.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing (a plan that does not exist yet included).
  diff_mode:
    support: full
    description: Shows the vault, the plan's rules and tags, and the selections, before and after.
notes:
  - O(tags) apply to the vault and the plan.
"""

EXAMPLES = r"""
- name: Back up the environment's instances and volumes daily, for 35 days
  illustra.webstack.backup_vault_plan:
    vault_name: illustra-prod-backup-vault
    plan_name: illustra-prod-backup-plan
    rules:
      - name: daily
        schedule_expression: cron(0 3 ? * * *)
        start_window_minutes: 60
        completion_window_minutes: 360
        delete_after_days: 35
    selections:
      - name: illustra-prod-tagged
        iam_role_arn: arn:aws:iam::123456789012:role/illustra-prod-backup
        resources: ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"]
        conditions:
          string_equals:
            - {condition_key: "aws:ResourceTag/Project", condition_value: illustra}
            - {condition_key: "aws:ResourceTag/Environment", condition_value: prod}
    tags:
      Project: illustra
      Environment: prod

- name: Remove them (recovery points kept, and their vault with them)
  illustra.webstack.backup_vault_plan:
    vault_name: illustra-prod-backup-vault
    plan_name: illustra-prod-backup-plan
    state: absent
"""

RETURN = r"""
backup:
  description: The vault, the plan and its selections after the run.
  returned: always
  type: dict
  contains:
    vault:
      description: The vault (null when absent).
      type: dict
      contains:
        name: {description: The vault's name., type: str}
        arn: {description: Its ARN (null in check mode when it would be created)., type: str}
        encryption_key_arn: {description: Its KMS key., type: str}
        recovery_points: {description: How many recovery points it holds., type: int}
        tags: {description: "Its tags (null when O(tags) is omitted, as they were not read).", type: dict}
    plan:
      description: The plan (null when absent).
      type: dict
      contains:
        name: {description: The plan's name., type: str}
        id: {description: Its id (null in check mode when it would be created)., type: str}
        arn: {description: Its ARN., type: str}
        version_id: {description: Its version (null when it would change)., type: str}
        rules: {description: "Its rules (snake case, as AWS Backup returns them).", type: list, elements: dict}
        tags: {description: Its tags (null when O(tags) is omitted)., type: dict}
    selections:
      description: The plan's selections.
      type: list
      elements: dict
actions:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create_vault illustra-prod-backup-vault", "create_plan illustra-prod-backup-plan",
           "create_selection illustra-prod-tagged"]
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import PlanError
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import label
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import plan_absent
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import public
from ansible_collections.illustra.webstack.plugins.module_utils._backup_plan import validate
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


class BackupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


# AWS Backup throttles with ThrottlingException (not in AWSRetry's default list); ServiceUnavailableException too.
_retry = AWSRetry.jittered_backoff(
    retries=8, catch_extra_error_codes=["ThrottlingException", "ServiceUnavailableException"]
)


@BackupErrorHandler.common_error_handler("list the backup vaults")
@_retry
def find_vault(client, name):
    for page in client.get_paginator("list_backup_vaults").paginate():
        for vault in page.get("BackupVaultList", []):
            if vault["BackupVaultName"] == name:
                return vault
    return None


@BackupErrorHandler.common_error_handler("list the backup plans")
@_retry
def find_plans(client, name):
    return [
        plan
        for page in client.get_paginator("list_backup_plans").paginate()
        for plan in page.get("BackupPlansList", [])
        if plan.get("BackupPlanName") == name and not plan.get("DeletionDate")
    ]


@BackupErrorHandler.list_error_handler("read the backup plan")
@_retry
def get_plan(client, plan_id):
    return client.get_backup_plan(BackupPlanId=plan_id)


@BackupErrorHandler.list_error_handler("list the plan's selections", [])
@_retry
def list_selections(client, plan_id):
    return [
        s
        for page in client.get_paginator("list_backup_selections").paginate(BackupPlanId=plan_id)
        for s in page.get("BackupSelectionsList", [])
    ]


@BackupErrorHandler.list_error_handler("read a backup selection")
@_retry
def get_selection(client, plan_id, selection_id):
    return client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)


@BackupErrorHandler.common_error_handler("create the backup vault")
@_retry
def create_vault(client, arg):
    kwargs = dict(BackupVaultName=arg["name"], BackupVaultTags=arg["tags"])
    if arg["kms_key_arn"]:
        kwargs["EncryptionKeyArn"] = arg["kms_key_arn"]
    return client.create_backup_vault(**kwargs)


@BackupErrorHandler.common_error_handler("create the backup plan")
@_retry
def create_plan(client, arg):
    plan = dict(BackupPlanName=arg["name"], Rules=arg["rules"])
    return client.create_backup_plan(BackupPlan=plan, BackupPlanTags=arg["tags"])


@BackupErrorHandler.common_error_handler("update the backup plan")
@_retry
def update_plan(client, arg):
    return client.update_backup_plan(
        BackupPlanId=arg["id"], BackupPlan=dict(BackupPlanName=arg["name"], Rules=arg["rules"])
    )


@BackupErrorHandler.common_error_handler("tag the backup resource")
@_retry
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceArn=arn, Tags=tags)


@BackupErrorHandler.common_error_handler("untag the backup resource")
@_retry
def untag_resource(client, arn, keys):
    client.untag_resource(ResourceArn=arn, TagKeyList=keys)


@BackupErrorHandler.common_error_handler("create the backup selection")
@_retry
def create_selection(client, plan_id, selection):
    return client.create_backup_selection(BackupPlanId=plan_id, BackupSelection=selection)


@BackupErrorHandler.deletion_error_handler("delete the backup selection")
@_retry
def delete_selection(client, plan_id, selection_id):
    client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)


@BackupErrorHandler.deletion_error_handler("delete the backup plan")
@_retry
def delete_plan(client, plan_id):
    client.delete_backup_plan(BackupPlanId=plan_id)


@BackupErrorHandler.common_error_handler("delete the vault's recovery points")
@_retry
def delete_recovery_points(client, vault_name):
    for page in client.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault_name):
        for point in page.get("RecoveryPoints", []):
            if point.get("Status") != "DELETING":
                client.delete_recovery_point(BackupVaultName=vault_name, RecoveryPointArn=point["RecoveryPointArn"])


@BackupErrorHandler.deletion_error_handler("delete the backup vault")
@_retry
def delete_vault(client, name):
    client.delete_backup_vault(BackupVaultName=name)


def wait_until_empty(client, name, timeout):
    """Deleted recovery points take a while to go; AWS Backup refuses to delete a vault until they have."""
    deadline = time.monotonic() + timeout
    while True:
        vault = find_vault(client, name)
        if vault is None or not vault.get("NumberOfRecoveryPoints"):
            return
        if time.monotonic() >= deadline:
            raise PlanError(
                f"The backup vault {name} still holds {vault['NumberOfRecoveryPoints']} recovery point(s) after "
                f"{timeout} s (wait_timeout); run again later to delete it."
            )
        time.sleep(10)


def read(client, params, manage_tags):
    """The vault (by name), every live plan of the name with its rules and selections, and their tags if managed."""
    found = find_vault(client, params["vault_name"])
    vault = None
    if found is not None:
        vault = dict(
            name=found["BackupVaultName"],
            arn=found["BackupVaultArn"],
            encryption_key_arn=found.get("EncryptionKeyArn"),
            recovery_points=found.get("NumberOfRecoveryPoints", 0),
            tags=get_tags(client, found["BackupVaultArn"]) if manage_tags else None,
        )
    plans = []
    for summary in find_plans(client, params["plan_name"]):
        got = get_plan(client, summary["BackupPlanId"])
        if got is None:  # deleted between the list and the read
            continue
        selections = []
        for item in list_selections(client, summary["BackupPlanId"]):
            selection = get_selection(client, summary["BackupPlanId"], item["SelectionId"])
            if selection is not None:
                selections.append(dict(selection["BackupSelection"], id=item["SelectionId"]))
        plans.append(
            dict(
                name=summary["BackupPlanName"],
                id=summary["BackupPlanId"],
                arn=summary["BackupPlanArn"],
                version_id=got.get("VersionId"),
                rules=got["BackupPlan"]["Rules"],
                tags=get_tags(client, summary["BackupPlanArn"]) if manage_tags else None,
                selections=selections,
            )
        )
    return dict(vault=vault, plans=plans)


def apply_actions(client, actions, wait_timeout):
    """Make the planned calls; returns the ids and ARNs the creations returned."""
    created = {}
    for action, arg in actions:
        if action == "create_vault":
            created["vault_arn"] = create_vault(client, arg)["BackupVaultArn"]
        elif action == "create_plan":
            response = create_plan(client, arg)
            created.update(
                plan_id=response["BackupPlanId"],
                plan_arn=response["BackupPlanArn"],
                version_id=response.get("VersionId"),
            )
        elif action == "update_plan":
            created["version_id"] = update_plan(client, arg).get("VersionId")
        elif action in ("tag_vault", "tag_plan"):
            tag_resource(client, *arg)
        elif action in ("untag_vault", "untag_plan"):
            untag_resource(client, *arg)
        elif action == "create_selection":
            response = create_selection(client, arg["plan_id"] or created["plan_id"], arg["selection"])
            created.setdefault("selection_ids", {})[arg["selection"]["SelectionName"]] = response["SelectionId"]
        elif action == "delete_selection":
            delete_selection(client, arg["plan_id"], arg["id"])
        elif action == "delete_plan":
            delete_plan(client, arg["id"])
        elif action == "delete_recovery_points":
            delete_recovery_points(client, arg)
            wait_until_empty(client, arg, wait_timeout)
        elif action == "delete_vault":
            delete_vault(client, arg)
    return created


def _fill_created(after, created):
    if after["vault"] is not None and created.get("vault_arn"):
        after["vault"]["arn"] = created["vault_arn"]
    if after["plans"]:
        plan = after["plans"][0]
        if created.get("plan_id"):
            plan.update(id=created["plan_id"], arn=created["plan_arn"])
        if "version_id" in created:
            plan["version_id"] = created["version_id"]
        for selection in plan["selections"]:
            selection["id"] = selection["id"] or created.get("selection_ids", {}).get(selection["SelectionName"])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vault_name=dict(type="str", required=True),
            vault_kms_key_arn=dict(type="str", no_log=False),
            plan_name=dict(type="str", required=True),
            rules=dict(
                type="list",
                elements="dict",
                options=dict(
                    name=dict(type="str", required=True),
                    schedule_expression=dict(type="str"),
                    schedule_expression_timezone=dict(type="str"),
                    start_window_minutes=dict(type="int"),
                    completion_window_minutes=dict(type="int"),
                    delete_after_days=dict(type="int"),
                    move_to_cold_storage_after_days=dict(type="int"),
                    enable_continuous_backup=dict(type="bool"),
                    recovery_point_tags=dict(type="dict"),
                ),
            ),
            selections=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    name=dict(type="str", required=True),
                    iam_role_arn=dict(type="str", required=True),
                    resources=dict(type="list", elements="str", default=[]),
                    not_resources=dict(type="list", elements="str", default=[]),
                    list_of_tags=dict(
                        type="list",
                        elements="dict",
                        default=[],
                        options=dict(
                            condition_type=dict(type="str", choices=["STRINGEQUALS"], default="STRINGEQUALS"),
                            condition_key=dict(type="str", required=True, no_log=False),
                            condition_value=dict(type="str", required=True),
                        ),
                    ),
                    conditions=dict(
                        type="dict",
                        options={
                            operator: dict(type="list", elements="dict")
                            for operator in ("string_equals", "string_not_equals", "string_like", "string_not_like")
                        },
                    ),
                ),
            ),
            purge_selections=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            force=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=900),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["rules"])],
        supports_check_mode=True,
    )
    p = module.params
    errors = validate(p)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("backup")
    try:
        current = read(client, p, manage_tags=p["tags"] is not None)
        if p["state"] == "present":
            actions = plan_present(current, p)
            vault = current["vault"]
            if vault and p["vault_kms_key_arn"] and vault["encryption_key_arn"] not in (None, p["vault_kms_key_arn"]):
                module.warn(
                    f"The backup vault {vault['name']} encrypts with {vault['encryption_key_arn']}; a vault's key cannot change."
                )
        else:
            actions, kept = plan_absent(current, p["force"])
            if kept:
                module.warn(kept)
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            _fill_created(after, apply_actions(client, actions, p["wait_timeout"]))
    except PlanError as e:
        module.fail_json(msg=str(e))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=bool(actions), backup=public(after), actions=[label(a, arg) for a, arg in actions])
    if module._diff:
        result["diff"] = dict(before=public(current), after=result["backup"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
