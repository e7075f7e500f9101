"""autoscaling_web_group against botocore's Stubber: a converged group makes no write call; request shapes."""

import base64
import copy
import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _autoscaling_web as aw
from ansible_collections.illustra.webstack.plugins.modules import autoscaling_web_group as mod
from botocore.stub import Stubber

NAME = "illustra-prod-backend"
LT = "lt-0a20c965061f64abc"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/illustra-prod-web/73e2d6bc24d8a067"
TAGS = {"Project": "illustra", "Environment": "prod", "ManagedBy": "illustra.webstack"}
ASG_ARN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:u:autoScalingGroupName/" + NAME
NOW = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


PARAMS = {
    "name": NAME,
    "state": "present",
    "launch_template": {
        "image_id": "ami-0123456789abcdef0",
        "instance_type": "t3.medium",
        "instance_profile_name": NAME,
        "security_group_ids": ["sg-app"],
        "associate_public_ip": False,
        "key_name": None,
        "user_data": "#!/bin/bash\n",
        "root_volume_size": 20,
        "root_volume_type": "gp3",
        "kms_key_id": None,
        "metadata_hop_limit": 1,
    },
    "subnets": ["subnet-a", "subnet-b"],
    "min_size": 2,
    "max_size": 4,
    "desired_capacity": 2,
    "health_check_type": "ELB",
    "health_check_grace_period": 300,
    "target_group_arns": [TG],
    "cpu_target": 50.0,
    "tags": TAGS,
    "purge_tags": True,
}


# What EC2 and Auto Scaling must receive for PARAMS, written out from the API reference (EC2
# RequestLaunchTemplateData, Auto Scaling PutScalingPolicy), not from the code under test.
TAG_LIST = [
    {"Key": "Environment", "Value": "prod"},
    {"Key": "ManagedBy", "Value": "illustra.webstack"},
    {"Key": "Project", "Value": "illustra"},
]
LAUNCH_TEMPLATE_DATA = {
    "ImageId": "ami-0123456789abcdef0",
    "InstanceType": "t3.medium",
    "IamInstanceProfile": {"Name": NAME},
    "SecurityGroupIds": ["sg-app"],
    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
    "BlockDeviceMappings": [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True},
        }
    ],
    "UserData": base64.b64encode(b"#!/bin/bash\n").decode(),
    "TagSpecifications": [
        {"ResourceType": "instance", "Tags": TAG_LIST},
        {"ResourceType": "volume", "Tags": TAG_LIST},
    ],
}
CPU_POLICY_REQUEST = {
    "AutoScalingGroupName": NAME,
    "PolicyName": NAME + "-cpu-target-tracking",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingConfiguration": {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
        "TargetValue": 50.0,
        "DisableScaleIn": False,
    },
}


@pytest.fixture
def make_module(fake_module):
    """A module with its own copy of PARAMS (tests change nested values)."""

    def make(check_mode=False):
        return fake_module(copy.deepcopy(PARAMS), check_mode=check_mode)

    return make


def converged_reads(ec2_stub, asg_stub):
    data = LAUNCH_TEMPLATE_DATA
    ec2_stub.add_response(
        "describe_images",
        {"Images": [{"ImageId": "ami-0123456789abcdef0", "RootDeviceName": "/dev/xvda"}]},
        {"ImageIds": ["ami-0123456789abcdef0"]},
    )
    ec2_stub.add_response(
        "describe_launch_templates",
        {
            "LaunchTemplates": [
                {
                    "LaunchTemplateId": LT,
                    "LaunchTemplateName": NAME,
                    "LatestVersionNumber": 3,
                    "DefaultVersionNumber": 1,
                }
            ]
        },
        {"LaunchTemplateNames": [NAME]},
    )
    described = dict(data)
    described["BlockDeviceMappings"] = [
        {"DeviceName": "/dev/xvda", "Ebs": dict(data["BlockDeviceMappings"][0]["Ebs"], Iops=3000, Throughput=125)}
    ]
    group = {
        "AutoScalingGroups": [
            {
                "AutoScalingGroupName": NAME,
                "AutoScalingGroupARN": ASG_ARN,
                "LaunchTemplate": {"LaunchTemplateId": LT, "LaunchTemplateName": NAME, "Version": "2"},
                "MinSize": 2,
                "MaxSize": 4,
                "DesiredCapacity": 2,
                "DefaultCooldown": 300,
                "AvailabilityZones": ["us-east-1a", "us-east-1b"],
                "TargetGroupARNs": [TG],
                "HealthCheckType": "ELB",
                "HealthCheckGracePeriod": 300,
                "CreatedTime": NOW,
                "VPCZoneIdentifier": "subnet-b,subnet-a",
                "Instances": [
                    {
                        "InstanceId": f"i-0{n}",
                        "AvailabilityZone": "us-east-1a",
                        "LifecycleState": "InService",
                        "HealthStatus": "Healthy",
                        "LaunchTemplate": {"LaunchTemplateId": LT, "LaunchTemplateName": NAME, "Version": "2"},
                        "ProtectedFromScaleIn": False,
                    }
                    for n in range(2)
                ],
                "Tags": [
                    {
                        "ResourceId": NAME,
                        "ResourceType": "auto-scaling-group",
                        "Key": k,
                        "Value": v,
                        "PropagateAtLaunch": True,
                    }
                    for k, v in TAGS.items()
                ],
            }
        ]
    }
    asg_stub.add_response("describe_auto_scaling_groups", group, {"AutoScalingGroupNames": [NAME]})
    ec2_stub.add_response(
        "describe_launch_template_versions",
        {
            "LaunchTemplateVersions": [
                {"LaunchTemplateId": LT, "VersionNumber": 2, "LaunchTemplateData": described},
                {"LaunchTemplateId": LT, "VersionNumber": 3, "LaunchTemplateData": dict(described, ImageId="ami-old")},
            ]
        },
        {"LaunchTemplateId": LT, "Versions": ["2", "3"]},
    )
    asg_stub.add_response(
        "describe_policies",
        {"ScalingPolicies": [dict(CPU_POLICY_REQUEST, PolicyARN="arn:policy")]},
        {"AutoScalingGroupName": NAME},
    )
    return group


def test_converged_group_makes_no_write_call(make_module):
    ec2, asg = client("ec2"), client("autoscaling")
    module = make_module()
    with Stubber(ec2) as ec2_stub, Stubber(asg) as asg_stub:
        converged_reads(ec2_stub, asg_stub)
        result = mod.ensure_present(module, ec2, asg)
        ec2_stub.assert_no_pending_responses()
        asg_stub.assert_no_pending_responses()
    assert result["changed"] is False, result["actions"]
    assert result["launch_template"]["version"] == 2
    assert result["refresh_required"] is False


def test_changed_instance_type_creates_a_version_and_asks_for_a_refresh_without_switching_the_group(make_module):
    ec2, asg = client("ec2"), client("autoscaling")
    module = make_module()
    with Stubber(ec2) as ec2_stub, Stubber(asg) as asg_stub:
        group = converged_reads(ec2_stub, asg_stub)
        module.params["launch_template"]["instance_type"] = "t3.large"
        ec2_stub.add_response(
            "create_launch_template_version",
            {"LaunchTemplateVersion": {"LaunchTemplateId": LT, "VersionNumber": 4}},
            {
                "LaunchTemplateId": LT,
                "LaunchTemplateData": dict(LAUNCH_TEMPLATE_DATA, InstanceType="t3.large"),
                "VersionDescription": "illustra.webstack",
            },
        )
        # No update_auto_scaling_group: the release module moves the group with an instance refresh.
        asg_stub.add_response("describe_auto_scaling_groups", group, {"AutoScalingGroupNames": [NAME]})
        result = mod.ensure_present(module, ec2, asg)
        ec2_stub.assert_no_pending_responses()
    assert result["actions"] == ["create launch template version"]
    assert result["launch_template"]["version"] == 4
    assert result["refresh_required"] is True
    assert result["auto_scaling_group"]["launch_template_version"] == "2"


def test_create_launch_template_request_shape():
    ec2 = client("ec2")
    data = aw.desired_launch_template_data(PARAMS["launch_template"], "/dev/xvda", TAGS)
    with Stubber(ec2) as stub:
        stub.add_client_error("create_launch_template", "RequestLimitExceeded", http_status_code=503)
        stub.add_response(
            "create_launch_template",
            {"LaunchTemplate": {"LaunchTemplateId": LT, "LatestVersionNumber": 1}},
            {
                "LaunchTemplateName": NAME,
                "LaunchTemplateData": LAUNCH_TEMPLATE_DATA,
                "TagSpecifications": [{"ResourceType": "launch-template", "Tags": TAG_LIST}],
            },
        )
        assert aw.create_launch_template(ec2, NAME, data, TAGS)["LaunchTemplateId"] == LT
        stub.assert_no_pending_responses()


def test_missing_launch_template_is_none_and_other_errors_surface():
    ec2 = client("ec2")
    with Stubber(ec2) as stub:
        stub.add_client_error(
            "describe_launch_templates", "InvalidLaunchTemplateName.NotFoundException", http_status_code=400
        )
        assert aw.describe_launch_template(ec2, NAME) is None
        stub.add_client_error("describe_launch_templates", "UnauthorizedOperation", http_status_code=403)
        with pytest.raises(AnsibleAWSError, match="describe launch template"):
            aw.describe_launch_template(ec2, NAME)


def test_put_policy_request_shape():
    asg = client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_response("put_scaling_policy", {"PolicyARN": "arn:p"}, CPU_POLICY_REQUEST)
        aw.put_policy(asg, **aw.desired_cpu_policy(NAME, 50))
        stub.assert_no_pending_responses()
