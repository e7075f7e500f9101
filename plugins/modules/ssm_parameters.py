#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: ssm_parameters
short_description: Converge a set of SSM Parameter Store parameters in one task
version_added: 0.1.0
description:
  - Creates, updates or deletes the SSM Parameter Store parameters in O(parameters) - values, types, descriptions,
    KMS keys, tiers and tags - with one task instead of one M(community.aws.ssm_parameter) task per parameter.
  - Reads them with one C(GetParameters) call per ten names (decrypted, to compare values), one
    C(DescribeParameters) call when descriptions, keys or tiers are managed, and one C(ListTagsForResource) per
    parameter when O(tags) are.
  - Values are never returned or shown in a diff; a changed value shows as a new version.
author:
  - illustra.webstack developers (@illustra)
options:
  parameters:
    description: The parameters.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The parameter's name, for example V(/illustra/prod/mongodb/uri).
        type: str
        required: true
      value:
        description: The value (required with O(state=present)).
        type: str
      type:
        description: The parameter's type. V(SecureString) is encrypted with O(parameters[].key_id).
        type: str
        choices: [String, StringList, SecureString]
        default: SecureString
      description:
        description: The parameter's description. Left as it is when omitted (empty on a new parameter).
        type: str
      key_id:
        description:
          - The KMS key of a V(SecureString) (an id, ARN or alias); O(key_id) when omitted. Without either, Parameter
            Store uses the account's V(alias/aws/ssm) key, and an existing parameter keeps its key.
        type: str
      tier:
        description: V(Standard) (up to 4 KB) or V(Advanced). Left as it is when omitted (V(Standard) on create).
        type: str
        choices: [Standard, Advanced, Intelligent-Tiering]
  key_id:
    description: The KMS key of every V(SecureString) of the set that names none of its own.
    type: str
  overwrite:
    description:
      - V(changed) - an existing parameter whose value, type, description, key or tier differs is written again.
      - V(never) - an existing parameter keeps its value and settings (a secret generated once); only its tags
        converge.
    type: str
    choices: [changed, never]
    default: changed
  state:
    description: Whether the parameters exist. With V(absent), only O(parameters[].name) is read.
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
    description: Shows every parameter's type, version, description, key, tier and tags before and after, never its value.
notes:
  - O(tags) apply to every parameter of the set.
"""

EXAMPLES = r"""
- name: Keep the database's secrets and connection string
  illustra.webstack.ssm_parameters:
    parameters:
      - name: /illustra/prod/mongodb/admin-password
        description: MongoDB administrator password
        value: "{{ admin_password }}"
      - name: /illustra/prod/mongodb/uri
        description: MongoDB connection string of the application
        value: "{{ uri }}"
    tags:
      Project: illustra
      Environment: prod
  no_log: true

- name: Create a secret once; later runs keep the value it got
  illustra.webstack.ssm_parameters:
    parameters:
      - name: /illustra/prod/alb/origin-verify
        value: "{{ lookup('ansible.builtin.password', '/dev/null', length=48) }}"
    overwrite: never

- name: Remove them
  illustra.webstack.ssm_parameters:
    parameters:
      - name: /illustra/prod/mongodb/admin-password
      - name: /illustra/prod/mongodb/uri
    state: absent
"""

RETURN = r"""
parameters:
  description: The parameters after the run (those that exist), without their values.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The parameter's name.
      type: str
    type:
      description: String, StringList or SecureString.
      type: str
    version:
      description: The parameter's version (predicted in check mode).
      type: int
    description:
      description: Its description.
      type: str
    key_id:
      description: The KMS key of a SecureString (null for the others).
      type: str
    tier:
      description: Standard, Advanced or Intelligent-Tiering.
      type: str
    tags:
      description: Its tags (null when O(tags) is omitted, as they were not read).
      type: dict
actions:
  description: The changes made (or that would be made in check mode), in order; never a value.
  returned: always
  type: list
  elements: str
  sample: ["create /illustra/prod/mongodb/uri", "put /illustra/prod/mongodb/admin-password (value)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import BATCH
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import describe
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import describe_public
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import label
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import plan_absent
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._ssm_parameters import validate
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


class SSMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["ParameterNotFound", "InvalidResourceId"])


# Parameter Store throttles with ThrottlingException and, on bursts of writes, TooManyUpdates: neither is in
# AWSRetry's default list.
_retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ThrottlingException", "TooManyUpdates"])


@SSMErrorHandler.common_error_handler("read the parameters")
@_retry
def get_parameters(client, names, decrypt=True):
    """name -> GetParameters' Parameter (decrypted when ``decrypt``) for those of ``names`` that exist."""
    found = {}
    for i in range(0, len(names), BATCH):
        response = client.get_parameters(Names=names[i : i + BATCH], WithDecryption=decrypt)
        found.update({p["Name"]: p for p in response.get("Parameters", [])})
    return found


@SSMErrorHandler.common_error_handler("describe the parameters")
@_retry
def describe_parameters(client, names):
    """name -> DescribeParameters' metadata (description, KMS key, tier)."""
    found = {}
    paginator = client.get_paginator("describe_parameters")
    for i in range(0, len(names), 50):
        filters = [{"Key": "Name", "Option": "Equals", "Values": names[i : i + 50]}]
        for page in paginator.paginate(ParameterFilters=filters):
            found.update({p["Name"]: p for p in page.get("Parameters", [])})
    return found


@SSMErrorHandler.common_error_handler("write the parameter")
@_retry
def put_parameter(client, arg, overwrite, tags=None):
    kwargs = dict(Name=arg["name"], Value=arg["value"], Type=arg["type"], Overwrite=overwrite)
    for option, key in (("description", "Description"), ("key_id", "KeyId"), ("tier", "Tier")):
        if arg.get(option):
            kwargs[key] = arg[option]
    if tags:  # Parameter Store refuses Tags with Overwrite
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    client.put_parameter(**kwargs)


@SSMErrorHandler.common_error_handler("tag the parameter")
@_retry
def tag_parameter(client, name, tags):
    client.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=ansible_dict_to_boto3_tag_list(tags))


@SSMErrorHandler.common_error_handler("untag the parameter")
@_retry
def untag_parameter(client, name, keys):
    client.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=keys)


@SSMErrorHandler.common_error_handler("delete the parameters")
@_retry
def delete_parameters(client, names):
    client.delete_parameters(Names=names)


def read(client, parameters, state, manage_tags, compare_values=True):
    """name -> state of the parameters that exist; only what is managed is read (values only to compare them)."""
    names = [p["name"] for p in parameters]
    got = get_parameters(client, names, decrypt=state == "present" and compare_values)
    if state == "absent" or not got:
        return {name: describe(p) for name, p in got.items()}
    metadata = {}
    if any(p.get(k) is not None for p in parameters for k in ("description", "key_id", "tier")):
        metadata = describe_parameters(client, sorted(got))
    return {
        name: describe(p, metadata.get(name), get_tags(client, name) if manage_tags else None)
        for name, p in got.items()
    }


def apply_actions(client, actions):
    for action, arg in actions:
        if action == "create":
            put_parameter(client, arg, overwrite=False, tags=arg["tags"])
        elif action == "put":
            put_parameter(client, arg, overwrite=True)
        elif action == "tag":
            tag_parameter(client, *arg)
        elif action == "untag":
            untag_parameter(client, *arg)
        elif action == "delete":
            delete_parameters(client, arg)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            parameters=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    value=dict(type="str", no_log=True),
                    type=dict(type="str", choices=["String", "StringList", "SecureString"], default="SecureString"),
                    description=dict(type="str"),
                    key_id=dict(type="str", no_log=False),
                    tier=dict(type="str", choices=["Standard", "Advanced", "Intelligent-Tiering"]),
                ),
            ),
            key_id=dict(type="str", no_log=False),
            overwrite=dict(type="str", choices=["changed", "never"], default="changed"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for param in p["parameters"]:
        if param["type"] == "SecureString" and not param["key_id"]:
            param["key_id"] = p["key_id"]
    errors = validate(p["parameters"], p["state"])
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("ssm")
    try:
        current = read(client, p["parameters"], p["state"], p["tags"] is not None, p["overwrite"] == "changed")
        if p["state"] == "present":
            actions = plan_present(current, p["parameters"], p["tags"], p["purge_tags"], p["overwrite"])
        else:
            actions = plan_absent(current, [param["name"] for param in p["parameters"]])
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            apply_actions(client, actions)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    order = [param["name"] for param in p["parameters"]]
    result = dict(
        changed=bool(actions),
        parameters=[describe_public(after[name]) for name in order if name in after],
        actions=[label(a, arg) for a, arg in actions],
    )
    if module._diff:
        result["diff"] = dict(
            before=[describe_public(current[name]) for name in order if name in current],
            after=result["parameters"],
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
