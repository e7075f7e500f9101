# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and API helpers for the autoscaling_web_group and autoscaling_release modules.

Layer 1: API wrappers (AWSRetry + AWSErrorHandler). Layer 2: pure planning functions.
"""

from __future__ import annotations

import base64

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

CPU_POLICY_SUFFIX = "-cpu-target-tracking"

# Instance refresh statuses (DescribeInstanceRefreshes). Pending, InProgress (checkpoints included) and
# Baking move towards the desired configuration; RollbackInProgress and Cancelling end by themselves.
REFRESH_ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
REFRESH_SETTLING = ("Cancelling", "RollbackInProgress")
REFRESH_SUCCESS = ("Successful",)
REFRESH_FAILED = ("Failed", "Cancelled", "RollbackFailed", "RollbackSuccessful")


class AnsibleAutoscalingWebError(AnsibleAWSError):
    pass


class EC2Handler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAutoscalingWebError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            ["InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound", "InvalidAMIID.NotFound"]
        )


class ASGHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAutoscalingWebError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ValidationError")


# ---------------------------------------------------------------------------------------------
# Layer 1: API wrappers
# ---------------------------------------------------------------------------------------------


@EC2Handler.list_error_handler("describe launch template", default_value=None)
@AWSRetry.jittered_backoff()
def describe_launch_template(ec2, name):
    lts = ec2.describe_launch_templates(LaunchTemplateNames=[name])["LaunchTemplates"]
    return lts[0] if lts else None


@EC2Handler.list_error_handler("describe launch template versions", default_value=[])
@AWSRetry.jittered_backoff()
def describe_lt_versions(ec2, lt_id, versions):
    versions = [str(v) for v in versions if v is not None]
    if not versions:
        return []
    return ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=sorted(set(versions)))[
        "LaunchTemplateVersions"
    ]


@EC2Handler.list_error_handler("describe image", default_value=None)
@AWSRetry.jittered_backoff()
def describe_image(ec2, image_id):
    images = ec2.describe_images(ImageIds=[image_id])["Images"]
    return images[0] if images else None


@EC2Handler.common_error_handler("create launch template")
@AWSRetry.jittered_backoff()
def create_launch_template(ec2, name, data, tags):
    kwargs = {"LaunchTemplateName": name, "LaunchTemplateData": data}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "launch-template", "Tags": tag_list(tags)}]
    return ec2.create_launch_template(**kwargs)["LaunchTemplate"]


@EC2Handler.common_error_handler("create launch template version")
@AWSRetry.jittered_backoff()
def create_lt_version(ec2, lt_id, data, description):
    version = ec2.create_launch_template_version(
        LaunchTemplateId=lt_id, LaunchTemplateData=data, VersionDescription=description
    )["LaunchTemplateVersion"]
    return version["VersionNumber"]


@EC2Handler.common_error_handler("set the default launch template version")
@AWSRetry.jittered_backoff()
def set_default_lt_version(ec2, lt_id, version):
    ec2.modify_launch_template(LaunchTemplateId=lt_id, DefaultVersion=str(version))


@EC2Handler.deletion_error_handler("delete launch template")
@AWSRetry.jittered_backoff()
def delete_launch_template(ec2, lt_id):
    ec2.delete_launch_template(LaunchTemplateId=lt_id)
    return True


@ASGHandler.common_error_handler("describe auto scaling group")
@AWSRetry.jittered_backoff()
def describe_asg(asg, name):
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


@ASGHandler.common_error_handler("create auto scaling group")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ScalingActivityInProgress"])
def create_asg(asg, **kwargs):
    asg.create_auto_scaling_group(**kwargs)


@ASGHandler.common_error_handler("update auto scaling group")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ScalingActivityInProgress"])
def update_asg(asg, name, **kwargs):
    asg.update_auto_scaling_group(AutoScalingGroupName=name, **kwargs)


@ASGHandler.common_error_handler("tag auto scaling group")
@AWSRetry.jittered_backoff()
def create_or_update_tags(asg, name, tags):
    asg.create_or_update_tags(
        Tags=[
            {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v, "PropagateAtLaunch": True}
            for k, v in sorted(tags.items())
        ]
    )


@ASGHandler.common_error_handler("untag auto scaling group")
@AWSRetry.jittered_backoff()
def delete_tags(asg, name, keys):
    asg.delete_tags(Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k} for k in keys])


@ASGHandler.common_error_handler("update target groups of the auto scaling group")
@AWSRetry.jittered_backoff()
def attach_target_groups(asg, name, arns):
    asg.attach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=list(arns))


@ASGHandler.common_error_handler("update target groups of the auto scaling group")
@AWSRetry.jittered_backoff()
def detach_target_groups(asg, name, arns):
    asg.detach_load_balancer_target_groups(AutoScalingGroupName=name, TargetGroupARNs=list(arns))


@ASGHandler.common_error_handler("enable metrics collection")
@AWSRetry.jittered_backoff()
def enable_metrics(asg, name):
    asg.enable_metrics_collection(AutoScalingGroupName=name, Granularity="1Minute")


@ASGHandler.common_error_handler("describe scaling policies")
@AWSRetry.jittered_backoff()
def describe_policies(asg, name):
    return asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]


@ASGHandler.common_error_handler("put scaling policy")
@AWSRetry.jittered_backoff()
def put_policy(asg, **kwargs):
    asg.put_scaling_policy(**kwargs)


@ASGHandler.common_error_handler("delete scaling policy")
@AWSRetry.jittered_backoff()
def delete_policy(asg, name, policy_name):
    asg.delete_policy(AutoScalingGroupName=name, PolicyName=policy_name)


@ASGHandler.common_error_handler("delete auto scaling group")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ScalingActivityInProgress", "ResourceInUse"])
def delete_asg(asg, name):
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)


@ASGHandler.common_error_handler("describe instance refreshes")
@AWSRetry.jittered_backoff()
def describe_refreshes(asg, name, max_records=5):
    return asg.describe_instance_refreshes(AutoScalingGroupName=name, MaxRecords=max_records)["InstanceRefreshes"]


@ASGHandler.common_error_handler("start instance refresh")
@AWSRetry.jittered_backoff()
def start_refresh(asg, name, desired_configuration, preferences):
    return asg.start_instance_refresh(
        AutoScalingGroupName=name,
        Strategy="Rolling",
        DesiredConfiguration=desired_configuration,
        Preferences=preferences,
    )["InstanceRefreshId"]


@ASGHandler.common_error_handler("roll back instance refresh")
@AWSRetry.jittered_backoff()
def rollback_refresh(asg, name):
    return asg.rollback_instance_refresh(AutoScalingGroupName=name).get("InstanceRefreshId")


@ASGHandler.common_error_handler("cancel instance refresh")
@AWSRetry.jittered_backoff()
def cancel_refresh(asg, name):
    return asg.cancel_instance_refresh(AutoScalingGroupName=name).get("InstanceRefreshId")


# ---------------------------------------------------------------------------------------------
# Layer 2: pure planning
# ---------------------------------------------------------------------------------------------


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


def encode_user_data(text):
    return base64.b64encode((text or "").encode("utf-8")).decode("ascii")


def desired_launch_template_data(lt, root_device_name, tags):
    """LaunchTemplateData for the launch template options.

    Secure by default: IMDSv2 required with a hop limit of 1, an encrypted root volume, no SSH key
    unless one is named, the instance profile attached.
    """
    ebs = {
        "VolumeSize": lt["root_volume_size"],
        "VolumeType": lt["root_volume_type"],
        "Encrypted": True,
        "DeleteOnTermination": True,
    }
    if lt.get("kms_key_id"):
        ebs["KmsKeyId"] = lt["kms_key_id"]
    data = {
        "ImageId": lt["image_id"],
        "InstanceType": lt["instance_type"],
        "IamInstanceProfile": {"Name": lt["instance_profile_name"]},
        "MetadataOptions": {
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": lt["metadata_hop_limit"],
            "HttpEndpoint": "enabled",
        },
        "BlockDeviceMappings": [{"DeviceName": root_device_name, "Ebs": ebs}],
        "UserData": encode_user_data(lt.get("user_data")),
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tag_list(tags)},
            {"ResourceType": "volume", "Tags": tag_list(tags)},
        ],
    }
    if lt.get("associate_public_ip"):
        data["NetworkInterfaces"] = [
            {
                "DeviceIndex": 0,
                "AssociatePublicIpAddress": True,
                "Groups": sorted(lt.get("security_group_ids") or []),
                "DeleteOnTermination": True,
            }
        ]
    else:
        data["SecurityGroupIds"] = sorted(lt.get("security_group_ids") or [])
    if lt.get("key_name"):
        data["KeyName"] = lt["key_name"]
    return data


def _subset(desired, actual):
    """Whether every value in desired is present, equal, in actual (lists compared element-wise)."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return False
        return all(_subset(v, actual.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        if all(isinstance(x, dict) and "Key" in x for x in desired + actual):
            desired = sorted(desired, key=lambda x: x["Key"])
            actual = sorted(actual, key=lambda x: x["Key"])
        elif all(isinstance(x, dict) and "ResourceType" in x for x in desired + actual):
            desired = sorted(desired, key=lambda x: x["ResourceType"])
            actual = sorted(actual, key=lambda x: x["ResourceType"])
        elif all(isinstance(x, str) for x in desired + actual):
            desired, actual = sorted(desired), sorted(actual)
        return all(_subset(d, a) for d, a in zip(desired, actual, strict=False))
    if isinstance(desired, bool) or isinstance(actual, bool):
        return str(desired).lower() == str(actual).lower()
    if isinstance(desired, int) and isinstance(actual, (int, str)):
        return str(desired) == str(actual)
    return desired == actual


# Top-level keys whose presence the module decides: one left over from an older version is a change.
MANAGED_OPTIONAL_KEYS = ("KeyName", "NetworkInterfaces", "SecurityGroupIds")


def launch_template_data_matches(desired, actual):
    """Whether a version's LaunchTemplateData carries everything desired (and no managed extra)."""
    if actual is None:
        return False
    # Tag specifications of resource types the module does not set (for example the launch template's
    # own tags, which some implementations echo into the version data) are not part of the comparison.
    wanted_types = set(t["ResourceType"] for t in desired.get("TagSpecifications", []))
    actual = dict(actual)
    actual["TagSpecifications"] = [
        t for t in actual.get("TagSpecifications", []) if t.get("ResourceType") in wanted_types
    ]
    for key in MANAGED_OPTIONAL_KEYS:
        if (key in desired) != bool(actual.get(key)):
            return False
    return _subset(desired, actual)


def plan_launch_template_version(desired, asg_version, asg_version_data, latest_version, latest_data):
    """Which launch template version the ASG should run, and whether a new version is needed.

    Returns (version, create_new). The ASG's own version wins when it matches; otherwise the latest
    version when it matches (a release created it and its refresh has not finished); otherwise a new
    version is needed.
    """
    if asg_version is not None and launch_template_data_matches(desired, asg_version_data):
        return int(asg_version), False
    if latest_version is not None and launch_template_data_matches(desired, latest_data):
        return int(latest_version), False
    return None, True


def desired_group_settings(params):
    return {
        "MinSize": params["min_size"],
        "MaxSize": params["max_size"],
        "DesiredCapacity": params["desired_capacity"],
        "HealthCheckType": params["health_check_type"],
        "HealthCheckGracePeriod": params["health_check_grace_period"],
        "VPCZoneIdentifier": ",".join(sorted(params["subnets"] or [])),
    }


def group_setting_changes(current, desired):
    changes = {}
    for key, value in desired.items():
        have = current.get(key)
        if key == "VPCZoneIdentifier":
            have = ",".join(sorted(x for x in (have or "").split(",") if x))
            if not value:
                continue
        if key == "DesiredCapacity" and value is None:
            continue
        if have != value:
            changes[key] = value
    return changes


def validate_sizes(min_size, max_size, desired):
    """An error message when the sizes are inconsistent, else None."""
    if min_size < 0 or max_size < 1:
        return f"asg sizes: min_size must be >= 0 and max_size >= 1 (got min {min_size}, max {max_size})"
    if min_size > max_size:
        return f"asg sizes: min_size ({min_size}) must not exceed max_size ({max_size})"
    if desired is not None and not min_size <= desired <= max_size:
        return (
            f"asg sizes: desired_capacity ({desired}) must be between min_size ({min_size}) and max_size ({max_size})"
        )
    return None


def desired_cpu_policy(name, target):
    return {
        "AutoScalingGroupName": name,
        "PolicyName": name + CPU_POLICY_SUFFIX,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": float(target),
            "DisableScaleIn": False,
        },
    }


def plan_cpu_policy(name, target, policies):
    """("put", spec) / ("delete", policy_name) / (None, None) for the CPU target-tracking policy."""
    policy_name = name + CPU_POLICY_SUFFIX
    have = next((p for p in policies if p["PolicyName"] == policy_name), None)
    if target is None:
        return ("delete", policy_name) if have else (None, None)
    spec = desired_cpu_policy(name, target)
    if have is None:
        return "put", spec
    cfg = have.get("TargetTrackingConfiguration") or {}
    metric = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if (
        have.get("PolicyType") != "TargetTrackingScaling"
        or metric != "ASGAverageCPUUtilization"
        or float(cfg.get("TargetValue", -1)) != float(target)
        or bool(cfg.get("DisableScaleIn", False))
    ):
        return "put", spec
    return None, None


# --- instance refresh -------------------------------------------------------------------------


def refresh_preferences(params):
    prefs = {
        "MinHealthyPercentage": params["min_healthy_percentage"],
        "SkipMatching": True,
        "AutoRollback": params["auto_rollback"],
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }
    if params.get("max_healthy_percentage"):
        prefs["MaxHealthyPercentage"] = params["max_healthy_percentage"]
    if params.get("instance_warmup") is not None:
        prefs["InstanceWarmup"] = params["instance_warmup"]
    checkpoints = params.get("checkpoint_percentages") or []
    if checkpoints:
        prefs["CheckpointPercentages"] = sorted(checkpoints)
        if params.get("checkpoint_delay") is not None:
            prefs["CheckpointDelay"] = params["checkpoint_delay"]
    return prefs


def validate_refresh(params):
    """An error message for preferences StartInstanceRefresh would refuse (RefreshPreferences), else None."""
    checkpoints = params.get("checkpoint_percentages") or []
    if checkpoints:
        if sorted(set(checkpoints)) != sorted(checkpoints) or any(not 0 < c <= 100 for c in checkpoints):
            return "checkpoint_percentages must be unique values in 1..100"
        if max(checkpoints) != 100:
            return "checkpoint_percentages must end with 100 so that every instance is replaced"
    if params.get("checkpoint_delay") is not None and not 0 <= params["checkpoint_delay"] <= 172800:
        return "checkpoint_delay must be within 0..172800 seconds"
    minimum, maximum = params["min_healthy_percentage"], params.get("max_healthy_percentage") or 0
    if not 0 <= minimum <= 100:
        return "min_healthy_percentage must be within 0..100"
    if maximum and not 100 <= maximum <= 200:
        return "max_healthy_percentage must be within 100..200 (or 0 to leave it unset)"
    if maximum and maximum - minimum > 100:
        return "max_healthy_percentage may exceed min_healthy_percentage by 100 at most"
    if params.get("instance_warmup") is not None and params["instance_warmup"] < 0:
        return "instance_warmup must be 0 or more seconds"
    for key in ("poll_interval", "wait_timeout"):
        if key in params and params[key] is not None and params[key] < 1:
            return f"{key} must be at least 1 second"
    return None


def group_launch_template(group):
    """(launch template id, version) the group uses, or (None, None)."""
    spec = (group or {}).get("LaunchTemplate") or {}
    return spec.get("LaunchTemplateId"), spec.get("Version")


def instances_off_version(group, lt_id, version):
    """Instances of the group not launched from lt_id at the given version.

    Instances on their way out (LifecycleState Terminating*, draining from the load balancer after a
    refresh replaced them) are not the group's any more.
    """
    out = []
    for inst in (group or {}).get("Instances", []):
        if str(inst.get("LifecycleState", "")).startswith("Terminating"):
            continue
        spec = inst.get("LaunchTemplate") or {}
        if spec.get("LaunchTemplateId") != lt_id or str(spec.get("Version")) != str(version):
            out.append(inst["InstanceId"])
    return sorted(out)


def refresh_targets(refresh, lt_id, version):
    """Whether an instance refresh moves the group to this launch template version."""
    spec = ((refresh or {}).get("DesiredConfiguration") or {}).get("LaunchTemplate") or {}
    return spec.get("LaunchTemplateId") == lt_id and str(spec.get("Version")) == str(version)


def plan_refresh(group, refreshes, lt_id, version, state):
    """What to do to make the group run lt_id@version.

    state 'refreshed': start a refresh unless the group already runs it (config and every instance)
    or a refresh to it is already under way (then wait for it).
    state 'rolled_back': like refreshed, but an active refresh to another version is rolled back
    (RollbackInstanceRefresh) first.
    A rollback or a cancellation under way ends by itself: settle means wait for it, then plan again.
    Returns (action, refresh_id) with action in none | wait | settle | start | rollback | conflict.
    """
    active = next((r for r in refreshes if r.get("Status") in REFRESH_ACTIVE), None)
    if active is not None:
        if active.get("Status") in REFRESH_SETTLING:
            return "settle", active["InstanceRefreshId"]
        if refresh_targets(active, lt_id, version):
            return "wait", active["InstanceRefreshId"]
        if state == "rolled_back":
            return "rollback", active["InstanceRefreshId"]
        return "conflict", active["InstanceRefreshId"]
    group_lt, group_version = group_launch_template(group)
    if group_lt == lt_id and str(group_version) == str(version) and not instances_off_version(group, lt_id, version):
        return "none", None
    return "start", None


# What each way of ending means for the group, said once in every failure message.
REFRESH_ENDINGS = {
    "Failed": "auto rollback was off: instances already replaced keep the new version",
    "Cancelled": "instances already replaced keep the new version",
    "RollbackSuccessful": "the group is back on its previous launch template version",
    "RollbackFailed": "the group may run a mix of versions and needs attention",
}


def refresh_outcome(refresh):
    """('success' | 'failed' | 'active', message) for a described instance refresh."""
    status = refresh.get("Status")
    reason = refresh.get("StatusReason") or ""
    rid = refresh.get("InstanceRefreshId")
    if status in REFRESH_SUCCESS:
        return "success", f"instance refresh {rid} succeeded"
    if status in REFRESH_FAILED:
        rollback = (refresh.get("RollbackDetails") or {}).get("RollbackReason")
        msg = f"instance refresh {rid} ended {status}"
        if reason:
            msg += ": " + reason
        if rollback:
            msg += f" (rollback: {rollback})"
        return "failed", f"{msg}; {REFRESH_ENDINGS[status]}"
    msg = "instance refresh {} is {} ({}% complete, {} instances to update)".format(
        rid, status, refresh.get("PercentageComplete", 0), refresh.get("InstancesToUpdate", "?")
    )
    if reason:
        msg += ": " + reason
    return "active", msg


def summarize_refresh(refresh):
    if not refresh:
        return {}
    out = {
        "instance_refresh_id": refresh.get("InstanceRefreshId"),
        "status": refresh.get("Status"),
        "status_reason": refresh.get("StatusReason"),
        "percentage_complete": refresh.get("PercentageComplete"),
        "instances_to_update": refresh.get("InstancesToUpdate"),
    }
    details = refresh.get("RollbackDetails")
    if details:
        out["rollback_reason"] = details.get("RollbackReason")
        out["percentage_complete_on_rollback"] = details.get("PercentageCompleteOnRollback")
    return out
