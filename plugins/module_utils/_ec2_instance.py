# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ec2_tagged_instance's pure planning: input checks, the RunInstances request, what differs, the plan.

One instance is found by its identifying tags. What can change on a running instance (its tags, its
security groups, a stopped instance started) is converged; what cannot without replacing it (image, type,
subnet, instance profile, metadata options) is reported as drift and left alone: a database host is never
replaced behind its owner's back.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# The states in which an instance still exists (shutting-down and terminated ones are on their way out).
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
# Attributes that only a new instance changes: compared, reported, never acted on.
IMMUTABLE = ("image_id", "instance_type", "subnet_id", "instance_profile_name", "metadata_options")


def validate(params):
    """Messages naming each bad option (and the fix), before any AWS call."""
    errors = []
    tags = params.get("tags") or {}
    missing = [key for key in params["match_tags"] if not tags.get(key)]
    if not params["match_tags"]:
        errors.append("match_tags is empty: name the tags (keys of tags) that identify the instance, e.g. [Name]")
    elif missing:
        errors.append(f"match_tags names {', '.join(missing)}, which tags does not set: set a value for each in tags")
    if params["state"] == "present":
        for option in ("image_id", "instance_type"):
            if not params.get(option):
                errors.append(f"{option} is required with state=present")
        volume = params.get("root_volume") or {}
        if volume.get("size") is not None and volume["size"] < 1:
            errors.append(f"root_volume.size must be at least 1 GiB, got {volume['size']}")
    return errors


def filters(tags, match_tags):
    """DescribeInstances' filters: the live instances carrying every identifying tag."""
    found = [{"Name": f"tag:{key}", "Values": [tags[key]]} for key in match_tags]
    return [*found, {"Name": "instance-state-name", "Values": list(LIVE_STATES)}]


def describe(instance):
    """The module's snake_case view of a DescribeInstances Instance."""
    profile = (instance.get("IamInstanceProfile") or {}).get("Arn")
    metadata = instance.get("MetadataOptions") or {}
    return {
        "instance_id": instance["InstanceId"],
        "state": instance["State"]["Name"],
        "image_id": instance.get("ImageId"),
        "instance_type": instance.get("InstanceType"),
        "subnet_id": instance.get("SubnetId"),
        "private_ip_address": instance.get("PrivateIpAddress"),
        "security_group_ids": sorted(g["GroupId"] for g in instance.get("SecurityGroups", [])),
        "instance_profile_name": profile.rsplit("/", 1)[-1] if profile else None,
        "metadata_options": {
            "http_endpoint": metadata.get("HttpEndpoint"),
            "http_tokens": metadata.get("HttpTokens"),
            "http_put_response_hop_limit": metadata.get("HttpPutResponseHopLimit"),
        },
        "tags": boto3_tag_list_to_ansible_dict(instance.get("Tags", [])),
    }


def desired(params):
    """What the task asks for, in describe()'s shape (no id, address or state yet)."""
    metadata = params["metadata_options"]
    return {
        "instance_id": None,
        "state": "running",
        "image_id": params["image_id"],
        "instance_type": params["instance_type"],
        "subnet_id": params["subnet_id"],
        "private_ip_address": None,
        "security_group_ids": sorted(params.get("security_group_ids") or []),
        "instance_profile_name": params.get("instance_profile_name"),
        "metadata_options": {
            "http_endpoint": metadata["http_endpoint"],
            "http_tokens": metadata["http_tokens"],
            "http_put_response_hop_limit": metadata["http_put_response_hop_limit"],
        },
        "tags": dict(params["tags"]),
    }


def run_request(params, client_token):
    """RunInstances' parameters for one instance of ``params`` (tagged on create, root volume encrypted)."""
    volume = params["root_volume"]
    ebs = {"VolumeType": volume["type"], "Encrypted": True, "DeleteOnTermination": True}
    if volume.get("size") is not None:
        ebs["VolumeSize"] = volume["size"]
    if volume.get("kms_key_id"):
        ebs["KmsKeyId"] = volume["kms_key_id"]
    metadata = params["metadata_options"]
    request = {
        "ImageId": params["image_id"],
        "InstanceType": params["instance_type"],
        "MinCount": 1,
        "MaxCount": 1,
        "BlockDeviceMappings": [{"DeviceName": volume["device_name"], "Ebs": ebs}],
        "MetadataOptions": {
            "HttpEndpoint": metadata["http_endpoint"],
            "HttpTokens": metadata["http_tokens"],
            "HttpPutResponseHopLimit": metadata["http_put_response_hop_limit"],
        },
        "TagSpecifications": [
            {"ResourceType": kind, "Tags": ansible_dict_to_boto3_tag_list(params["tags"])}
            for kind in ("instance", "volume")
        ],
        # Idempotent retries: a retried RunInstances with the same token starts no second instance.
        "ClientToken": client_token,
    }
    if params.get("subnet_id"):
        request["SubnetId"] = params["subnet_id"]
    if params.get("security_group_ids"):
        request["SecurityGroupIds"] = list(params["security_group_ids"])
    if params.get("instance_profile_name"):
        request["IamInstanceProfile"] = {"Name": params["instance_profile_name"]}
    if params.get("user_data"):
        request["UserData"] = params["user_data"]
    return request


def drift(current, want):
    """The immutable attributes of ``current`` that differ from ``want``: {attribute: {have, want}}."""
    found = {}
    for key in IMMUTABLE:
        if key in ("subnet_id", "instance_profile_name") and want[key] is None:
            continue  # none asked: whatever the instance has is left as it is
        if current[key] != want[key]:
            found[key] = {"have": current[key], "want": want[key]}
    return found


def plan_present(instances, want, purge_tags):
    """Actions that make the one matching instance (``instances``: describe() dicts) what ``want`` asks.

    Returns (actions, drift). Fails (ValueError) when several instances match: which one is the host is then
    not for the module to guess.
    """
    if len(instances) > 1:
        ids = ", ".join(sorted(i["instance_id"] for i in instances))
        raise ValueError(
            f"{len(instances)} live instances carry the identifying tags ({ids}): terminate the extra ones"
        )
    if not instances:
        return [("run", want)], {}
    current = instances[0]
    actions = []
    if current["state"] in ("stopped", "stopping"):
        actions.append(("start", current["instance_id"]))
    if want["security_group_ids"] and current["security_group_ids"] != want["security_group_ids"]:
        actions.append(("set_security_groups", (current["instance_id"], want["security_group_ids"])))
    to_set, to_unset = compare_aws_tags(current["tags"], want["tags"], purge_tags=purge_tags)
    if to_set:
        actions.append(("tag", (current["instance_id"], to_set)))
    if to_unset:
        actions.append(("untag", (current["instance_id"], sorted(to_unset))))
    return actions, drift(current, want)


def plan_absent(instances):
    """Terminate every live instance that carries the identifying tags."""
    ids = sorted(i["instance_id"] for i in instances)
    return [("terminate", ids)] if ids else []


def apply_plan(instances, actions):
    """The instance after ``actions`` (predicted in check mode): a describe() dict, or None when none is left."""
    current = dict(instances[0]) if instances else None
    for action, arg in actions:
        if action == "run":
            current = dict(arg)
        elif action == "start":
            current["state"] = "running"
        elif action == "set_security_groups":
            current["security_group_ids"] = list(arg[1])
        elif action == "tag":
            current["tags"] = dict(current["tags"], **arg[1])
        elif action == "untag":
            current["tags"] = {k: v for k, v in current["tags"].items() if k not in arg[1]}
        elif action == "terminate":
            current = None
    return current


def label(action, arg):
    """One line per action for the result's ``actions``."""
    if action == "run":
        return f"run an instance of {arg['image_id']} ({arg['instance_type']}) in {arg['subnet_id'] or 'the default subnet'}"
    if action == "start":
        return f"start {arg}"
    if action == "set_security_groups":
        return f"set the security groups of {arg[0]} to {', '.join(arg[1])}"
    if action == "tag":
        return f"tag {arg[0]}: {', '.join(sorted(arg[1]))}"
    if action == "untag":
        return f"untag {arg[0]}: {', '.join(arg[1])}"
    return f"terminate {', '.join(arg)}"
