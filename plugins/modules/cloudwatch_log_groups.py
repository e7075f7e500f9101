#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: cloudwatch_log_groups
short_description: Converge a set of CloudWatch Logs log groups (retention, KMS key, tags) in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes the log groups in O(log_groups) - their retention, KMS key and tags - with one task
    instead of one M(amazon.aws.cloudwatchlogs_log_group) task (and a new Python) per group.
  - Reads each group with one C(DescribeLogGroups) call, and its tags with one C(ListTagsForResource) call when
    O(tags) are managed.
author:
  - illustra.webstack developers (@illustra)
options:
  log_groups:
    description: The log groups.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The log group's name.
        type: str
        required: true
      retention:
        description:
          - Days the group keeps log events (one of the periods CloudWatch Logs accepts); O(retention) when omitted.
            Left as it is when neither is set.
        type: int
      kms_key_id:
        description: The ARN of the KMS key that encrypts the group's events. Left as it is when omitted.
        type: str
  retention:
    description: The retention of every group of the set that names none of its own.
    type: int
  state:
    description: Whether the log groups exist. Deleting a group deletes its events.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows each group's retention, KMS key and tags before and after.
notes:
  - O(tags) apply to every group of the set.
"""

EXAMPLES = r"""
- name: Keep the application's log groups for 30 days
  illustra.webstack.cloudwatch_log_groups:
    log_groups:
      - name: /illustra/prod/app
      - name: /illustra/prod/nginx
    retention: 30
    tags:
      Project: illustra
      Environment: prod

- name: Remove them
  illustra.webstack.cloudwatch_log_groups:
    log_groups:
      - name: /illustra/prod/app
      - name: /illustra/prod/nginx
    state: absent
"""

RETURN = r"""
log_groups:
  description: The log groups after the run (those that exist).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The group's name.
      type: str
    arn:
      description: Its ARN (null in check mode when it would be created).
      type: str
    retention:
      description: Days it keeps events (null - never expire).
      type: int
    kms_key_id:
      description: Its KMS key.
      type: str
    tags:
      description: Its tags (null when O(tags) is omitted, as they were not read).
      type: dict
actions:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create /illustra/prod/app", "put_retention /illustra/prod/app 30"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import describe
from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import label
from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import plan_absent
from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._log_groups import validate
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


class LogsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


# CloudWatch Logs throttles with ThrottlingException (not in AWSRetry's default list); a create racing another
# operation on the same group answers OperationAbortedException.
_retry = AWSRetry.jittered_backoff(
    retries=8, catch_extra_error_codes=["ThrottlingException", "OperationAbortedException"]
)


@LogsErrorHandler.common_error_handler("describe the log group")
@_retry
def find_group(client, name):
    for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


@LogsErrorHandler.common_error_handler("create the log group")
@_retry
def create_group(client, arg):
    kwargs = dict(logGroupName=arg["name"])
    if arg["kms_key_id"]:
        kwargs["kmsKeyId"] = arg["kms_key_id"]
    if arg["tags"]:
        kwargs["tags"] = arg["tags"]
    client.create_log_group(**kwargs)


@LogsErrorHandler.common_error_handler("set the log group's retention")
@_retry
def put_retention(client, name, days):
    client.put_retention_policy(logGroupName=name, retentionInDays=days)


@LogsErrorHandler.common_error_handler("set the log group's KMS key")
@_retry
def associate_kms_key(client, name, key):
    client.associate_kms_key(logGroupName=name, kmsKeyId=key)


@LogsErrorHandler.common_error_handler("tag the log group")
@_retry
def tag_group(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags)


@LogsErrorHandler.common_error_handler("untag the log group")
@_retry
def untag_group(client, arn, keys):
    client.untag_resource(resourceArn=arn, tagKeys=keys)


@LogsErrorHandler.deletion_error_handler("delete the log group")
@_retry
def delete_group(client, name):
    client.delete_log_group(logGroupName=name)


def read(client, names, manage_tags):
    """name -> state of the groups that exist."""
    current = {}
    for name in names:
        group = find_group(client, name)
        if group is not None:
            state = describe(group)
            if manage_tags and state["arn"]:
                state["tags"] = get_tags(client, state["arn"])
            current[name] = state
    return current


def apply_actions(client, current, actions):
    for action, arg in actions:
        if action == "create":
            create_group(client, arg)
        elif action == "put_retention":
            put_retention(client, *arg)
        elif action == "associate_kms_key":
            associate_kms_key(client, *arg)
        elif action == "tag":
            tag_group(client, current[arg[0]]["arn"], arg[1])
        elif action == "untag":
            untag_group(client, current[arg[0]]["arn"], arg[1])
        elif action == "delete":
            delete_group(client, arg)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            log_groups=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    retention=dict(type="int"),
                    kms_key_id=dict(type="str", no_log=False),
                ),
            ),
            retention=dict(type="int"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for group in p["log_groups"]:
        if group["retention"] is None:
            group["retention"] = p["retention"]
    errors = validate(p["log_groups"])
    if errors:
        module.fail_json(msg="; ".join(errors))

    names = [g["name"] for g in p["log_groups"]]
    client = module.client("logs")
    try:
        current = read(client, names, p["state"] == "present" and p["tags"] is not None)
        if p["state"] == "present":
            actions = plan_present(current, p["log_groups"], p["tags"], p["purge_tags"])
        else:
            actions = plan_absent(current, names)
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            apply_actions(client, current, actions)
            for name, state in after.items():
                if state["arn"] is None:  # created: its ARN as AWS gives it
                    state["arn"] = describe(find_group(client, name) or {"logGroupName": name})["arn"]
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(
        changed=bool(actions),
        log_groups=[after[name] for name in names if name in after],
        actions=[label(a, arg) for a, arg in actions],
    )
    if module._diff:
        result["diff"] = dict(before=[current[n] for n in names if n in current], after=result["log_groups"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
