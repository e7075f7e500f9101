#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: ec2_tagged_instance
short_description: Keep one EC2 instance, found by its tags, running (or terminate it)
version_added: 0.1.0
description:
  - Keeps exactly one instance that carries the identifying tags (O(match_tags)) running - a long-lived host
    such as a database server - with its image, type, subnet, security groups, instance profile, boot script,
    IMDSv2 metadata options, encrypted root volume and tags; or, with O(state=absent), terminates every live
    instance that carries them.
  - Reads with one C(DescribeInstances) call; a converged instance costs nothing more.
  - On an existing instance, its tags and security groups converge and a stopped instance is started. What AWS
    cannot change on a running instance (image, type, subnet, instance profile, metadata options) is reported in
    RV(drift) with a warning and left as it is. The instance is never replaced, it may hold data; terminate it
    yourself (O(state=absent)) to launch a new one.
  - O(user_data) and O(root_volume) apply when the instance is launched; they are not compared later.
author:
  - illustra.webstack developers (@illustra)
options:
  state:
    description: V(present) - one instance runs. V(absent) - none is left (terminated).
    type: str
    choices: [present, absent]
    default: present
  match_tags:
    description:
      - The keys of O(tags) whose values identify the instance. A live instance (pending, running, stopping,
        stopped) carrying all of them is the one this task manages; several is an error.
    type: list
    elements: str
    default: [Name]
  image_id:
    description: The AMI of a new instance. Required with O(state=present).
    type: str
  instance_type:
    description: The instance type, for example V(t3.small). Required with O(state=present).
    type: str
  subnet_id:
    description:
      - The subnet the instance runs in. When omitted, EC2 picks a default subnet of the default VPC for a new
        instance, and an existing instance's subnet is not compared.
    type: str
  security_group_ids:
    description: The instance's security groups. Left as they are when omitted (the VPC's default on create).
    type: list
    elements: str
  instance_profile_name:
    description: The instance profile (IAM role) of a new instance. Not compared when omitted.
    type: str
  user_data:
    description: The boot script of a new instance, as text (botocore encodes it).
    type: str
  metadata_options:
    description: The instance metadata service (IMDS) settings. IMDSv2 only by default.
    type: dict
    default: {}
    suboptions:
      http_endpoint:
        description: Whether the metadata service answers.
        type: str
        choices: [enabled, disabled]
        default: enabled
      http_tokens:
        description: V(required) allows IMDSv2 (session tokens) only.
        type: str
        choices: [required, optional]
        default: required
      http_put_response_hop_limit:
        description: How many network hops a token may travel; 1 keeps it on the instance.
        type: int
        default: 1
  root_volume:
    description: The root volume of a new instance, always encrypted and deleted with the instance.
    type: dict
    default: {}
    suboptions:
      device_name:
        description: The root device of the image.
        type: str
        default: /dev/xvda
      size:
        description: Its size in GiB; the image's when omitted.
        type: int
      type:
        description: The EBS volume type.
        type: str
        default: gp3
      kms_key_id:
        description: The KMS key that encrypts it; the account's default EBS key when omitted.
        type: str
  wait:
    description: Wait until the instance runs (or, with O(state=absent), is terminated).
    type: bool
    default: true
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 600
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
    description: Shows the instance's attributes and tags before and after.
notes:
  - O(tags) are the instance's tags and those of its root volume at launch; they must include every key of
    O(match_tags).
"""

EXAMPLES = r"""
- name: Run the database host
  illustra.webstack.ec2_tagged_instance:
    image_id: "{{ ami_id }}"
    instance_type: t3.small
    subnet_id: "{{ private_subnet_id }}"
    security_group_ids: ["{{ db_security_group_id }}"]
    instance_profile_name: illustra-prod-mongodb
    user_data: "{{ boot_script }}"
    root_volume:
      size: 30
    match_tags: [Name, Project, Environment]
    tags:
      Name: illustra-prod-mongodb
      Project: illustra
      Environment: prod
  register: db

- name: Terminate it
  illustra.webstack.ec2_tagged_instance:
    state: absent
    match_tags: [Name, Project, Environment]
    tags:
      Name: illustra-prod-mongodb
      Project: illustra
      Environment: prod
"""

RETURN = r"""
instance:
  description: The instance after the run (predicted in check mode, where a new one has no id or address yet); null
    when none is left.
  returned: always
  type: dict
  contains:
    instance_id:
      description: Its id.
      type: str
    state:
      description: Its state (pending, running, ...).
      type: str
    private_ip_address:
      description: Its private IPv4 address.
      type: str
    image_id:
      description: Its AMI.
      type: str
    instance_type:
      description: Its type.
      type: str
    subnet_id:
      description: Its subnet.
      type: str
    security_group_ids:
      description: Its security groups, sorted.
      type: list
      elements: str
    instance_profile_name:
      description: Its instance profile's name.
      type: str
    metadata_options:
      description: Its metadata service settings (http_endpoint, http_tokens, http_put_response_hop_limit).
      type: dict
    tags:
      description: Its tags.
      type: dict
drift:
  description: The attributes that only a new instance would change and that differ from the task, each with what
    the instance has and what the task asks.
  returned: always
  type: dict
  sample: {"instance_type": {"have": "t3.small", "want": "t3.medium"}}
actions:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["run an instance of ami-0123 (t3.small) in subnet-0123"]
"""

import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import describe
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import desired
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import filters
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import label
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import plan_absent
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import run_request
from ansible_collections.illustra.webstack.plugins.module_utils._ec2_instance import validate


class EC2ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError


# EC2's own transient codes beyond AWSRetry's list: an instance not yet visible to every endpoint just after
# RunInstances (eventual consistency), a state transition in progress, capacity that frees up.
_retry = AWSRetry.jittered_backoff(
    retries=8,
    catch_extra_error_codes=["InvalidInstanceID.NotFound", "IncorrectState", "InsufficientInstanceCapacity"],
)
# An instance profile created a moment ago is not yet visible to EC2 (IAM is eventually consistent); EC2 then
# answers InvalidParameterValue, the code of a truly bad parameter too, so only that message is retried.
PROFILE_PROPAGATION_TRIES = 6
PROFILE_PROPAGATION_DELAY = 5


@EC2ErrorHandler.common_error_handler("find the instance")
@_retry
def find_instances(client, instance_filters):
    paginator = client.get_paginator("describe_instances")
    pages = paginator.paginate(Filters=instance_filters).build_full_result()
    return [i for reservation in pages.get("Reservations", []) for i in reservation.get("Instances", [])]


@_retry
def _run_instances(client, request):
    return client.run_instances(**request)["Instances"][0]


@EC2ErrorHandler.common_error_handler("run the instance")
def run_instance(client, request):
    for attempt in range(PROFILE_PROPAGATION_TRIES):
        try:
            return _run_instances(client, request)
        except is_boto3_error_message("Invalid IAM Instance Profile"):
            if attempt == PROFILE_PROPAGATION_TRIES - 1:
                raise
            time.sleep(PROFILE_PROPAGATION_DELAY)
    return None  # not reached


@EC2ErrorHandler.common_error_handler("start the instance")
@_retry
def start_instance(client, instance_id):
    client.start_instances(InstanceIds=[instance_id])


@EC2ErrorHandler.common_error_handler("set the instance's security groups")
@_retry
def set_security_groups(client, instance_id, group_ids):
    client.modify_instance_attribute(InstanceId=instance_id, Groups=list(group_ids))


@EC2ErrorHandler.common_error_handler("tag the instance")
@_retry
def tag_instance(client, instance_id, tags):
    client.create_tags(Resources=[instance_id], Tags=ansible_dict_to_boto3_tag_list(tags))


@EC2ErrorHandler.common_error_handler("untag the instance")
@_retry
def untag_instance(client, instance_id, keys):
    client.delete_tags(Resources=[instance_id], Tags=[{"Key": key} for key in keys])


@EC2ErrorHandler.common_error_handler("terminate the instances")
@_retry
def terminate_instances(client, instance_ids):
    client.terminate_instances(InstanceIds=list(instance_ids))


@EC2ErrorHandler.common_error_handler("wait for the instances")
def wait_for(client, waiter_name, instance_ids, timeout):
    delay = 5
    client.get_waiter(waiter_name).wait(
        InstanceIds=list(instance_ids), WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)}
    )


def apply_actions(client, params, actions):
    """Make the changes; returns the launched instance (describe()) when one was run."""
    launched = None
    for action, arg in actions:
        if action == "run":
            launched = run_instance(client, run_request(params, str(uuid.uuid4())))
            if params["wait"]:
                wait_for(client, "instance_running", [launched["InstanceId"]], params["wait_timeout"])
        elif action == "start":
            start_instance(client, arg)
            if params["wait"]:
                wait_for(client, "instance_running", [arg], params["wait_timeout"])
        elif action == "set_security_groups":
            set_security_groups(client, *arg)
        elif action == "tag":
            tag_instance(client, *arg)
        elif action == "untag":
            untag_instance(client, *arg)
        elif action == "terminate":
            terminate_instances(client, arg)
            if params["wait"]:
                wait_for(client, "instance_terminated", arg, params["wait_timeout"])
    return launched


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            match_tags=dict(type="list", elements="str", default=["Name"]),
            image_id=dict(type="str"),
            instance_type=dict(type="str"),
            subnet_id=dict(type="str"),
            security_group_ids=dict(type="list", elements="str"),
            instance_profile_name=dict(type="str"),
            user_data=dict(type="str"),
            metadata_options=dict(
                type="dict",
                default={},
                options=dict(
                    http_endpoint=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
                    http_tokens=dict(type="str", choices=["required", "optional"], default="required"),
                    http_put_response_hop_limit=dict(type="int", default=1),
                ),
            ),
            root_volume=dict(
                type="dict",
                default={},
                options=dict(
                    device_name=dict(type="str", default="/dev/xvda"),
                    size=dict(type="int"),
                    type=dict(type="str", default="gp3"),
                    kms_key_id=dict(type="str", no_log=False),
                ),
            ),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = validate(p)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("ec2")
    drift = {}
    try:
        current = [describe(i) for i in find_instances(client, filters(p["tags"], p["match_tags"]))]
        if p["state"] == "present":
            try:
                actions, drift = plan_present(current, desired(p), p["purge_tags"])
            except ValueError as e:
                module.fail_json(msg=str(e))
        else:
            actions = plan_absent(current)
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            launched = apply_actions(client, p, actions)
            if launched:
                after.update(instance_id=launched["InstanceId"], private_ip_address=launched.get("PrivateIpAddress"))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    for key, values in drift.items():
        module.warn(
            f"The instance {current[0]['instance_id']} has {key} {values['have']}, the task asks for {values['want']}: "
            "only a new instance changes it, and this one is kept. Terminate it (state=absent) to launch another."
        )
    result = dict(changed=bool(actions), instance=after, drift=drift, actions=[label(a, arg) for a, arg in actions])
    if module._diff:
        result["diff"] = dict(before=current[0] if current else None, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
