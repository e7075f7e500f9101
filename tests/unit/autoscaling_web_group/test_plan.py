"""autoscaling_web_group planning: hardened launch template data, version choice, group settings, CPU policy."""

import base64

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _autoscaling_web as aw

TAGS = {"Project": "illustra", "Environment": "prod", "ManagedBy": "illustra.webstack"}


def lt_opts(**kw):
    opts = {
        "image_id": "ami-1",
        "instance_type": "t3.medium",
        "instance_profile_name": "illustra-prod-backend",
        "security_group_ids": ["sg-app"],
        "associate_public_ip": False,
        "key_name": None,
        "user_data": "#!/bin/bash\necho hi\n",
        "root_volume_size": 20,
        "root_volume_type": "gp3",
        "kms_key_id": None,
        "metadata_hop_limit": 1,
    }
    opts.update(kw)
    return opts


def test_launch_template_is_hardened_by_default():
    data = aw.desired_launch_template_data(lt_opts(), "/dev/xvda", TAGS)
    assert data["MetadataOptions"] == {
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 1,
        "HttpEndpoint": "enabled",
    }
    ebs = data["BlockDeviceMappings"][0]["Ebs"]
    assert data["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    assert ebs["Encrypted"] is True and ebs["VolumeSize"] == 20 and ebs["VolumeType"] == "gp3"
    assert "KeyName" not in data
    assert data["IamInstanceProfile"] == {"Name": "illustra-prod-backend"}
    assert base64.b64decode(data["UserData"]).decode() == "#!/bin/bash\necho hi\n"
    assert data["SecurityGroupIds"] == ["sg-app"] and "NetworkInterfaces" not in data
    assert {t["ResourceType"] for t in data["TagSpecifications"]} == {"instance", "volume"}


def test_single_instance_gets_public_ip_through_its_interface():
    data = aw.desired_launch_template_data(lt_opts(associate_public_ip=True), "/dev/sda1", TAGS)
    assert "SecurityGroupIds" not in data
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is True
    assert data["NetworkInterfaces"][0]["Groups"] == ["sg-app"]


def test_key_and_kms_only_when_asked():
    data = aw.desired_launch_template_data(lt_opts(key_name="ops", kms_key_id="alias/ebs"), "/dev/xvda", TAGS)
    assert data["KeyName"] == "ops"
    assert data["BlockDeviceMappings"][0]["Ebs"]["KmsKeyId"] == "alias/ebs"


def described(data, **changes):
    """Version data as DescribeLaunchTemplateVersions returns it: extra defaults, other tag order."""
    out = {k: v for k, v in data.items()}
    out["BlockDeviceMappings"] = [
        {"DeviceName": m["DeviceName"], "Ebs": dict(m["Ebs"], Iops=3000, Throughput=125)}
        for m in data["BlockDeviceMappings"]
    ]
    out["TagSpecifications"] = [
        {"ResourceType": t["ResourceType"], "Tags": list(reversed(t["Tags"]))}
        for t in reversed(data["TagSpecifications"])
    ] + [{"ResourceType": "launch-template", "Tags": [{"Key": "Project", "Value": "illustra"}]}]
    out.update(changes)
    return out


def test_described_version_matches_desired():
    data = aw.desired_launch_template_data(lt_opts(), "/dev/xvda", TAGS)
    assert aw.launch_template_data_matches(data, described(data))


@pytest.mark.parametrize(
    "changes",
    [
        {"ImageId": "ami-2"},
        {"InstanceType": "t3.large"},
        {"MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"}},
        {"UserData": "b3RoZXI="},
        {"KeyName": "leftover"},
    ],
)
def test_any_drift_is_a_mismatch(changes):
    data = aw.desired_launch_template_data(lt_opts(), "/dev/xvda", TAGS)
    assert not aw.launch_template_data_matches(data, described(data, **changes))


def test_version_plan_prefers_the_groups_version_then_latest():
    data = aw.desired_launch_template_data(lt_opts(), "/dev/xvda", TAGS)
    other = described(data, ImageId="ami-old")
    assert aw.plan_launch_template_version(data, "3", described(data), 4, described(data)) == (3, False)
    # A release created version 4 and its refresh has not finished: reuse 4, do not create 5.
    assert aw.plan_launch_template_version(data, "3", other, 4, described(data)) == (4, False)
    assert aw.plan_launch_template_version(data, "3", other, 4, other) == (None, True)
    assert aw.plan_launch_template_version(data, None, None, 1, other) == (None, True)


@pytest.mark.parametrize(
    "sizes, message",
    [
        ((1, 1, 1), None),
        ((2, 4, 2), None),
        ((2, 4, None), None),
        ((3, 2, 2), "must not exceed"),
        ((1, 2, 5), "between"),
        ((-1, 2, 1), ">= 0"),
    ],
)
def test_validate_sizes(sizes, message):
    result = aw.validate_sizes(*sizes)
    assert (result is None) if message is None else (message in result)


def group_params(**kw):
    p = {
        "min_size": 2,
        "max_size": 4,
        "desired_capacity": 2,
        "health_check_type": "ELB",
        "health_check_grace_period": 300,
        "subnets": ["subnet-b", "subnet-a"],
    }
    p.update(kw)
    return p


def test_group_settings_unchanged_with_reordered_subnets():
    desired = aw.desired_group_settings(group_params())
    current = {
        "MinSize": 2,
        "MaxSize": 4,
        "DesiredCapacity": 2,
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 300,
        "VPCZoneIdentifier": "subnet-a,subnet-b",
    }
    assert aw.group_setting_changes(current, desired) == {}
    assert aw.group_setting_changes(dict(current, MaxSize=3), desired) == {"MaxSize": 4}


def test_unset_desired_capacity_is_left_to_the_scaling_policy():
    desired = aw.desired_group_settings(group_params(desired_capacity=None))
    current = {
        "MinSize": 2,
        "MaxSize": 4,
        "DesiredCapacity": 3,
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 300,
        "VPCZoneIdentifier": "subnet-a,subnet-b",
    }
    assert aw.group_setting_changes(current, desired) == {}


def test_cpu_policy_plan():
    name = "illustra-prod-backend"
    assert aw.plan_cpu_policy(name, 50, [])[0] == "put"
    spec = aw.plan_cpu_policy(name, 50, [])[1]
    assert spec["PolicyType"] == "TargetTrackingScaling"
    assert (
        spec["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        == "ASGAverageCPUUtilization"
    )
    have = [dict(spec, PolicyARN="arn:p")]
    assert aw.plan_cpu_policy(name, 50, have) == (None, None)
    assert aw.plan_cpu_policy(name, 60, have)[0] == "put"
    assert aw.plan_cpu_policy(name, None, have) == ("delete", name + aw.CPU_POLICY_SUFFIX)
    assert aw.plan_cpu_policy(name, None, []) == (None, None)
