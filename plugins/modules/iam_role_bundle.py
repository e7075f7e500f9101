#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: iam_role_bundle
short_description: Manage an IAM role with its inline and managed policies and its instance profile, in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes an IAM role together with what belongs to it - its trust policy, description,
    maximum session duration and tags, its managed policies, its inline policies, and an instance profile of the
    same name that holds it (for EC2 instances).
  - One task does what the stock modules take three or four for (M(amazon.aws.iam_role),
    M(amazon.aws.iam_policy) per inline policy, M(amazon.aws.iam_instance_profile)), and reads the role with as
    few calls as what it manages needs.
  - Every option left out is left as it is, so one task can own a role and another task add an inline policy of
    its own to it (give O(inline_policies) without O(assume_role_policy_document); the role must then exist).
  - With O(state=absent) the role is removed from every instance profile, the instance profile of its name is
    deleted, its policies are detached and deleted, and the role is deleted. A role that does not exist is not an
    error.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: The role's name (and its instance profile's).
    type: str
    required: true
  state:
    description: Whether the role exists.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - The path of a new role and of its instance profile. IAM cannot change it later; a different path on an
        existing role is reported as a warning.
    type: str
    default: /
  assume_role_policy_document:
    description:
      - The trust policy - who may assume the role (a dict, or a JSON string).
      - Required to create the role. Compared with the role's as a policy (order and single-item lists do not
        matter).
    type: json
  description:
    description: The role's description. Left as it is when omitted.
    type: str
  max_session_duration:
    description: The longest session, in seconds (3600 to 43200), of who assumes the role. Left as it is when omitted.
    type: int
  managed_policies:
    description:
      - The ARNs of the managed policies attached to the role - exactly these are attached.
      - Left as they are when omitted.
    type: list
    elements: str
  inline_policies:
    description:
      - Inline policies of the role - a dict of policy name to policy document (a dict or a JSON string).
        A name whose document is V(null) is deleted.
      - Inline policies not named here are left alone, unless O(purge_inline_policies=true).
    type: dict
  purge_inline_policies:
    description: Delete the role's inline policies that O(inline_policies) does not name.
    type: bool
    default: false
  instance_profile:
    description:
      - V(true) - an instance profile of the role's name holds the role (created when missing) and carries the
        role's tags.
      - V(false) - instance profiles are left alone (O(state=absent) still removes the role from every profile and
        deletes the profile of its name).
    type: bool
    default: false
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
    description: Shows the role (trust policy, settings, tags, policies and instance profile) before and after.
notes:
  - IAM is global; O(region) only selects the endpoint.
  - IAM is eventually consistent - after creating the role and its instance profile the module waits until IAM
    returns them, but EC2 may take a few more seconds to accept a new instance profile.
"""

EXAMPLES = r"""
- name: Converge the backend instances' role, its policies and its instance profile
  illustra.webstack.iam_role_bundle:
    name: illustra-prod-backend
    description: illustra-prod-backend instances
    assume_role_policy_document:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Service: ec2.amazonaws.com}
          Action: sts:AssumeRole
    managed_policies:
      - arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
    inline_policies:
      read-own-config: "{{ lookup('ansible.builtin.template', 'instance_policy.json.j2') }}"
    purge_inline_policies: true
    instance_profile: true
    tags:
      Project: illustra
      Environment: prod

- name: Let another role's instances upload backups (that role is owned elsewhere)
  illustra.webstack.iam_role_bundle:
    name: illustra-prod-mongodb
    inline_policies:
      upload-backups: "{{ lookup('ansible.builtin.template', 'upload_policy.json.j2') }}"

- name: Take that policy away again (nothing happens when the role is gone)
  illustra.webstack.iam_role_bundle:
    name: illustra-prod-mongodb
    inline_policies:
      upload-backups: null

- name: Remove the role, its policies and its instance profile
  illustra.webstack.iam_role_bundle:
    name: illustra-prod-backend
    state: absent
"""

RETURN = r"""
iam_role:
  description: The role after the run (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: The role's name.
      type: str
      sample: illustra-prod-backend
    arn:
      description: The role's ARN (null in check mode when it would be created).
      type: str
      sample: arn:aws:iam::123456789012:role/illustra-prod-backend
    role_id:
      description: The role's unique id (null in check mode when it would be created).
      type: str
    path:
      description: The role's path.
      type: str
      sample: /
    description:
      description: The role's description.
      type: str
    max_session_duration:
      description: The longest session, in seconds.
      type: int
      sample: 3600
    assume_role_policy_document:
      description: The trust policy.
      type: dict
    managed_policies:
      description: The ARNs of the attached managed policies, sorted (null when not managed and not read).
      type: list
      elements: str
    inline_policies:
      description:
        - The inline policies read, name to document - every one with O(purge_inline_policies=true), else those
          O(inline_policies) names.
      type: dict
    instance_profile:
      description: The instance profile of the role's name (null when not managed or missing).
      type: dict
      contains:
        name:
          description: The profile's name.
          type: str
        arn:
          description: The profile's ARN (null in check mode when it would be created).
          type: str
        roles:
          description: The roles it holds.
          type: list
          elements: str
        tags:
          description: The profile's tags.
          type: dict
    tags:
      description: The role's tags.
      type: dict
actions:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create_role", "attach_policy arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
           "put_policy read-own-config", "create_profile illustra-prod-backend",
           "add_role_to_profile illustra-prod-backend"]
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.iam import add_role_to_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.iam import create_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.iam import delete_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.iam import detach_iam_role_policy
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_role
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_instance_profiles
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_role_attached_policies
from ansible_collections.amazon.aws.plugins.module_utils.iam import list_iam_role_policies
from ansible_collections.amazon.aws.plugins.module_utils.iam import remove_role_from_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.iam import tag_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.iam import untag_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import PlanError
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import describe
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import describe_profile
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import label
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import plan_absent
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._iam_role import want_from_params

# IAM throttles with "Throttling" (AWSRetry retries the throttling codes). Right after CreateRole, IAM may not yet
# know the new role everywhere: calls on it are retried on NoSuchEntity too, as amazon.aws.iam_role does.
_retry = AWSRetry.jittered_backoff(retries=8)
_retry_new = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["NoSuchEntity"])


@IAMErrorHandler.list_error_handler("read the inline policy")
@_retry
def get_role_policy(client, role, name):
    return client.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]


@IAMErrorHandler.list_error_handler("read the instance profile")
@_retry
def get_instance_profile(client, name):
    return client.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


@IAMErrorHandler.common_error_handler("create the role")
@_retry
def create_role(client, arg):
    kwargs = dict(
        RoleName=arg["name"],
        Path=arg["path"],
        AssumeRolePolicyDocument=json.dumps(arg["assume_role_policy_document"]),
        MaxSessionDuration=arg["max_session_duration"],
    )
    if arg["description"]:
        kwargs["Description"] = arg["description"]
    if arg["tags"]:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(arg["tags"])
    return client.create_role(**kwargs)["Role"]


@IAMErrorHandler.common_error_handler("update the role's trust policy")
@_retry_new
def update_trust(client, role, document):
    client.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(document))


@IAMErrorHandler.common_error_handler("update the role")
@_retry_new
def update_role(client, role, arg):
    kwargs = dict(RoleName=role)
    if "description" in arg:
        kwargs["Description"] = arg["description"]
    if "max_session_duration" in arg:
        kwargs["MaxSessionDuration"] = arg["max_session_duration"]
    client.update_role(**kwargs)


@IAMErrorHandler.common_error_handler("tag the role")
@_retry_new
def tag_role(client, role, tags):
    client.tag_role(RoleName=role, Tags=ansible_dict_to_boto3_tag_list(tags))


@IAMErrorHandler.common_error_handler("untag the role")
@_retry_new
def untag_role(client, role, keys):
    client.untag_role(RoleName=role, TagKeys=keys)


@IAMErrorHandler.common_error_handler("attach a managed policy to the role")
@_retry_new
def attach_policy(client, role, arn):
    client.attach_role_policy(RoleName=role, PolicyArn=arn)


@IAMErrorHandler.common_error_handler("put an inline policy on the role")
@_retry_new
def put_policy(client, role, name, document):
    client.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))


@IAMErrorHandler.deletion_error_handler("delete an inline policy of the role")
@_retry
def delete_policy(client, role, name):
    client.delete_role_policy(RoleName=role, PolicyName=name)


@IAMErrorHandler.deletion_error_handler("delete the role")
@_retry
def delete_role(client, role):
    client.delete_role(RoleName=role)


@IAMErrorHandler.common_error_handler("wait for the new role")
def wait_for(client, waiter, **kwargs):
    client.get_waiter(waiter).wait(WaiterConfig=dict(Delay=2, MaxAttempts=30), **kwargs)


def read(client, want, state):
    """The role's state: only what ``want`` manages is read (all of it for removal)."""
    role = get_iam_role(client, want.name)
    if not role:
        profile = get_instance_profile(client, want.name) if state == "absent" else None
        return {}, [], describe_profile(profile)
    attached = None
    if state == "absent" or want.managed_policies is not None:
        attached = list_iam_role_attached_policies(client, want.name)
    if state == "absent" or (want.inline_policies is not None and want.purge_inline_policies):
        names = list_iam_role_policies(client, want.name)
    else:
        names = sorted(want.inline_policies or {})
    inline = {}
    for name in names:
        document = get_role_policy(client, want.name, name)
        if document is not None:
            inline[name] = json.loads(document) if isinstance(document, str) else document
    profile = get_instance_profile(client, want.name) if want.instance_profile or state == "absent" else None
    profiles_of_role = []
    if state == "absent":
        profiles_of_role = [p["InstanceProfileName"] for p in list_iam_instance_profiles(client, role=want.name)]
    return describe(role, attached, inline, profile), profiles_of_role, describe_profile(profile)


def apply_actions(client, name, actions):
    """Make the planned calls; returns what the creations returned ({"role": ..., "profile": ...})."""
    created = {}
    for action, arg in actions:
        if action == "create_role":
            created["role"] = create_role(client, arg)
            wait_for(client, "role_exists", RoleName=name)
        elif action == "update_trust":
            update_trust(client, name, arg)
        elif action == "update_role":
            update_role(client, name, arg)
        elif action == "tag_role":
            tag_role(client, name, arg)
        elif action == "untag_role":
            untag_role(client, name, arg)
        elif action == "attach_policy":
            attach_policy(client, name, arg)
        elif action == "detach_policy":
            detach_iam_role_policy(client, arg, name)
        elif action == "put_policy":
            put_policy(client, name, *arg)
        elif action == "delete_policy":
            delete_policy(client, name, arg)
        elif action == "create_profile":
            created["profile"] = create_iam_instance_profile(client, arg["name"], arg["path"], arg["tags"])
        elif action == "add_role_to_profile":
            add_role_to_iam_instance_profile(client, name, arg)
            wait_for(client, "instance_profile_exists", InstanceProfileName=name)
        elif action == "tag_profile":
            tag_iam_instance_profile(client, name, arg)
        elif action == "untag_profile":
            untag_iam_instance_profile(client, name, arg)
        elif action == "remove_role_from_profile":
            remove_role_from_iam_instance_profile(client, arg, name)
        elif action == "delete_profile":
            delete_iam_instance_profile(client, arg)
        elif action == "delete_role":
            delete_role(client, name)
    return created


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            path=dict(type="str", default="/"),
            assume_role_policy_document=dict(type="json"),
            description=dict(type="str"),
            max_session_duration=dict(type="int"),
            managed_policies=dict(type="list", elements="str"),
            inline_policies=dict(type="dict"),
            purge_inline_policies=dict(type="bool", default=False),
            instance_profile=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    want = want_from_params(module.params)
    if want.errors:
        module.fail_json(msg="; ".join(want.errors))

    client = module.client("iam")
    try:
        current, profiles_of_role, profile_of_name = read(client, want, module.params["state"])
        if module.params["state"] == "absent":
            actions = plan_absent(current, profiles_of_role, profile_of_name)
        else:
            actions = plan_present(current, want)
            if current and current["path"] != want.path:
                module.warn(f"The role {want.name} has the path {current['path']}; IAM cannot change a role's path.")
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            created = apply_actions(client, want.name, actions)
            if "role" in created:
                after.update(arn=created["role"]["Arn"], role_id=created["role"]["RoleId"])
            if "profile" in created:
                after["instance_profile"]["arn"] = created["profile"]["Arn"]
    except PlanError as e:
        module.fail_json(msg=str(e))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=bool(actions), iam_role=after, actions=[label(a, arg) for a, arg in actions])
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
