#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: autoscaling_web_group
version_added: 0.1.0
short_description: Manage a web tier's launch template, Auto Scaling Group and CPU scaling policy in one call
description:
  - Creates, updates or deletes a launch template (secure by default - IMDSv2 required with hop limit 1,
    encrypted root volume, no SSH key unless named), the Auto Scaling Group that runs it and a target
    tracking scaling policy on average CPU.
  - A changed launch template becomes a new launch template version. The module never switches an
    existing group to it by itself (that would bypass the safe rollout); it returns
    RV(launch_template.version) and RV(refresh_required) and M(illustra.webstack.autoscaling_release)
    rolls the group onto that version with an instance refresh and automatic rollback.
  - Never touches the targets registered in the target groups; it only attaches or detaches target groups.
  - Reads the current state with a handful of describe calls; a run with nothing to change writes nothing.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the Auto Scaling Group and of its launch template.
    type: str
    required: true
  state:
    description: Whether the group and its launch template should exist.
    type: str
    choices: [present, absent]
    default: present
  launch_template:
    description: The launch template content. Required with O(state=present).
    type: dict
    suboptions:
      image_id:
        description: AMI of the instances. May be empty in check mode only.
        type: str
      instance_type:
        description: Instance type.
        type: str
        default: t3.micro
      instance_profile_name:
        description: Instance profile (IAM role) of the instances.
        type: str
        required: true
      security_group_ids:
        description: Security groups of the instances.
        type: list
        elements: str
        default: []
      associate_public_ip:
        description: Give instances a public IP (only for a single instance in a public subnet, dev).
        type: bool
        default: false
      key_name:
        description: EC2 key pair for SSH. Omit (the default) for no key; use SSM Session Manager instead.
        type: str
      user_data:
        description: User data as plain text (the module base64-encodes it).
        type: str
        default: ""
      root_volume_size:
        description: Root volume size in GiB.
        type: int
        default: 16
      root_volume_type:
        description: Root volume type.
        type: str
        default: gp3
      kms_key_id:
        description: KMS key of the root volume; omit for the account's default EBS key. The volume is always encrypted.
        type: str
      metadata_hop_limit:
        description: Instance metadata (IMDSv2) response hop limit.
        type: int
        default: 1
  subnets:
    description: Subnets of the group. May be empty in check mode only.
    type: list
    elements: str
    default: []
  min_size:
    description: Minimum size.
    type: int
    default: 1
  max_size:
    description: Maximum size.
    type: int
    default: 1
  desired_capacity:
    description: Desired capacity. Omit to leave the current capacity to the scaling policy.
    type: int
  health_check_type:
    description: V(ELB) when the group sits behind a load balancer, V(EC2) otherwise.
    type: str
    choices: [EC2, ELB]
    default: EC2
  health_check_grace_period:
    description: Seconds after launch before health checks count.
    type: int
    default: 300
  target_group_arns:
    description: Target groups the group registers its instances in.
    type: list
    elements: str
    default: []
  cpu_target:
    description: Target average CPU (percent) of the target tracking policy; omit for no scaling policy.
    type: float
  tags:
    description: Tags of the launch template, the group and (propagated) its instances and volumes.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags of the group not listed in O(tags).
    type: bool
    default: true
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
- name: Create the backend launch template and Auto Scaling Group
  illustra.webstack.autoscaling_web_group:
    name: illustra-prod-backend
    launch_template:
      image_id: ami-0123456789abcdef0
      instance_type: t3.medium
      instance_profile_name: illustra-prod-backend
      security_group_ids: ["{{ vpc__output.security_group_ids.app }}"]
      user_data: "{{ lookup('ansible.builtin.template', 'user_data.sh.j2') }}"
    subnets: "{{ vpc__output.private_subnet_ids }}"
    min_size: 2
    max_size: 4
    desired_capacity: 2
    health_check_type: ELB
    target_group_arns: ["{{ alb__output.target_group_arn }}"]
    cpu_target: 50
    tags:
      Project: illustra
      Environment: prod
"""

RETURN = r"""
launch_template:
  description: The launch template and the version the group should run.
  returned: always
  type: dict
  contains:
    id:
      description: Launch template id (null when it would be created in check mode).
      type: str
    name:
      description: Launch template name.
      type: str
    version:
      description: The version matching the desired content (null when it would be created in check mode).
      type: int
    group_version:
      description: The version the group runs now.
      type: str
auto_scaling_group:
  description: The group's settings after the run.
  returned: always
  type: dict
refresh_required:
  description: Whether the group's instances must be replaced to run RV(launch_template.version).
  returned: always
  type: bool
actions:
  description: What the module did (or would do in check mode).
  returned: always
  type: list
  elements: str
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _autoscaling_web as aw
from ansible_collections.illustra.webstack.plugins.module_utils._autoscaling_web import AnsibleAutoscalingWebError

DEFAULT_ROOT_DEVICE = "/dev/xvda"


def _group_summary(group):
    if not group:
        return {}
    lt_id, version = aw.group_launch_template(group)
    return {
        "name": group["AutoScalingGroupName"],
        "arn": group.get("AutoScalingGroupARN"),
        "min_size": group["MinSize"],
        "max_size": group["MaxSize"],
        "desired_capacity": group["DesiredCapacity"],
        "health_check_type": group.get("HealthCheckType"),
        "health_check_grace_period": group.get("HealthCheckGracePeriod"),
        "subnets": sorted(x for x in (group.get("VPCZoneIdentifier") or "").split(",") if x),
        "target_group_arns": sorted(group.get("TargetGroupARNs", [])),
        "launch_template_id": lt_id,
        "launch_template_version": version,
        "instances": sorted(i["InstanceId"] for i in group.get("Instances", [])),
    }


def ensure_present(module, ec2, asg):
    p = module.params
    check = module.check_mode
    name = p["name"]
    lt_params = p["launch_template"]
    tags = p["tags"] or {}
    actions = []

    message = aw.validate_sizes(p["min_size"], p["max_size"], p["desired_capacity"])
    if message:
        module.fail_json(msg=message)
    if not check and (not lt_params.get("image_id") or not p["subnets"]):
        module.fail_json(msg=f"launch_template.image_id and subnets are required to create or update {name}")

    root_device = DEFAULT_ROOT_DEVICE
    if lt_params.get("image_id"):
        image = aw.describe_image(ec2, lt_params["image_id"])
        if image is None:
            module.fail_json(
                msg="AMI {} not found in this region (launch_template.image_id)".format(lt_params["image_id"])
            )
        root_device = image.get("RootDeviceName") or DEFAULT_ROOT_DEVICE
    desired_data = aw.desired_launch_template_data(lt_params, root_device, tags)

    lt = aw.describe_launch_template(ec2, name)
    group = aw.describe_asg(asg, name)
    group_lt_id, group_version = aw.group_launch_template(group)
    before = {"launch_template_version": group_version, "auto_scaling_group": _group_summary(group)}

    if lt is None:
        actions.append("create launch template")
        lt_id, version = None, None
        if not check:
            created = aw.create_launch_template(ec2, name, desired_data, tags)
            lt_id, version = created["LaunchTemplateId"], int(created["LatestVersionNumber"])
    else:
        lt_id = lt["LaunchTemplateId"]
        if group and group_lt_id and group_lt_id != lt_id:
            module.fail_json(msg=f"Auto Scaling Group {name} runs launch template {group_lt_id}, not {lt_id}")
        latest = lt["LatestVersionNumber"]
        wanted = [latest]
        if group_version and group_version.isdigit():
            wanted.append(group_version)
        data = {str(v["VersionNumber"]): v["LaunchTemplateData"] for v in aw.describe_lt_versions(ec2, lt_id, wanted)}
        version, create_new = aw.plan_launch_template_version(
            desired_data,
            group_version if group_version and group_version.isdigit() else None,
            data.get(str(group_version)),
            latest,
            data.get(str(latest)),
        )
        if create_new:
            actions.append("create launch template version")
            if not check:
                version = aw.create_lt_version(ec2, lt_id, desired_data, "illustra.webstack")

    settings = aw.desired_group_settings(p)
    if group is None:
        actions.append("create auto scaling group")
        if not check:
            kwargs = dict((k, v) for k, v in settings.items() if v is not None)
            kwargs.update(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateId": lt_id, "Version": str(version)},
                TargetGroupARNs=p["target_group_arns"],
                Tags=[
                    {
                        "ResourceId": name,
                        "ResourceType": "auto-scaling-group",
                        "Key": k,
                        "Value": v,
                        "PropagateAtLaunch": True,
                    }
                    for k, v in sorted(tags.items())
                ],
                NewInstancesProtectedFromScaleIn=False,
            )
            if kwargs.get("DesiredCapacity") is None:
                kwargs["DesiredCapacity"] = p["min_size"]
            aw.create_asg(asg, **kwargs)
            aw.enable_metrics(asg, name)
    else:
        changes = aw.group_setting_changes(group, settings)
        if changes:
            actions.append("update auto scaling group ({})".format(", ".join(sorted(changes))))
            if not check:
                aw.update_asg(asg, name, **changes)
        have_tgs = set(group.get("TargetGroupARNs", []))
        want_tgs = set(p["target_group_arns"])
        if want_tgs - have_tgs:
            actions.append("attach target groups")
            if not check:
                aw.attach_target_groups(asg, name, sorted(want_tgs - have_tgs))
        if have_tgs - want_tgs:
            actions.append("detach target groups")
            if not check:
                aw.detach_target_groups(asg, name, sorted(have_tgs - want_tgs))
        current_tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        to_set, to_unset = compare_aws_tags(current_tags, tags, p["purge_tags"])
        if to_set or to_unset:
            actions.append("update tags")
            if not check:
                if to_unset:
                    aw.delete_tags(asg, name, to_unset)
                if to_set:
                    aw.create_or_update_tags(asg, name, to_set)

    policies = aw.describe_policies(asg, name) if group else []
    op, spec = aw.plan_cpu_policy(name, p["cpu_target"], policies)
    if op == "put":
        actions.append("put CPU target tracking policy")
        if not check:
            aw.put_policy(asg, **spec)
    elif op == "delete":
        actions.append("delete CPU target tracking policy")
        if not check:
            aw.delete_policy(asg, name, spec)

    if not check and actions:
        group = aw.describe_asg(asg, name)
    refresh_required = bool(
        group
        and version is not None
        and (str(group_version) != str(version) or aw.instances_off_version(group, lt_id, version))
        and before["auto_scaling_group"]
    )
    summary = _group_summary(group) if group else {"name": name}
    return {
        "changed": bool(actions),
        "actions": actions,
        "launch_template": {"id": lt_id, "name": name, "version": version, "group_version": group_version},
        "auto_scaling_group": summary,
        "refresh_required": refresh_required,
        "diff": {
            "before": before,
            "after": {"launch_template_version": str(version) if version else None, "auto_scaling_group": summary},
        },
    }


def ensure_absent(module, ec2, asg):
    check = module.check_mode
    name = module.params["name"]
    actions = []
    group = aw.describe_asg(asg, name)
    lt = aw.describe_launch_template(ec2, name)
    if group:
        actions.append("delete auto scaling group")
        if not check:
            aw.delete_asg(asg, name)
            deadline = time.time() + 900
            while aw.describe_asg(asg, name) is not None:
                if time.time() > deadline:
                    module.fail_json(msg=f"Timeout waiting for Auto Scaling Group {name} to be deleted")
                time.sleep(10)
    if lt:
        actions.append("delete launch template")
        if not check:
            aw.delete_launch_template(ec2, lt["LaunchTemplateId"])
    return {
        "changed": bool(actions),
        "actions": actions,
        "launch_template": {},
        "auto_scaling_group": {},
        "refresh_required": False,
        "diff": {"before": {"auto_scaling_group": _group_summary(group)}, "after": {"auto_scaling_group": {}}},
    }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        launch_template=dict(
            type="dict",
            options=dict(
                image_id=dict(type="str"),
                instance_type=dict(type="str", default="t3.micro"),
                instance_profile_name=dict(type="str", required=True),
                security_group_ids=dict(type="list", elements="str", default=[]),
                associate_public_ip=dict(type="bool", default=False),
                key_name=dict(type="str", no_log=False),
                user_data=dict(type="str", default=""),
                root_volume_size=dict(type="int", default=16),
                root_volume_type=dict(type="str", default="gp3"),
                kms_key_id=dict(type="str"),
                metadata_hop_limit=dict(type="int", default=1),
            ),
        ),
        subnets=dict(type="list", elements="str", default=[]),
        min_size=dict(type="int", default=1),
        max_size=dict(type="int", default=1),
        desired_capacity=dict(type="int"),
        health_check_type=dict(type="str", choices=["EC2", "ELB"], default="EC2"),
        health_check_grace_period=dict(type="int", default=300),
        target_group_arns=dict(type="list", elements="str", default=[]),
        cpu_target=dict(type="float"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["launch_template"])],
    )
    ec2 = module.client("ec2")
    asg = module.client("autoscaling")
    try:
        if module.params["state"] == "absent":
            result = ensure_absent(module, ec2, asg)
        else:
            result = ensure_present(module, ec2, asg)
    except AnsibleAutoscalingWebError as e:
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
