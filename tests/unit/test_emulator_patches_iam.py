"""IAM enforcement (tools/emulator_patches.py `_iam_policy_evaluation`): the gaps in plain moto, and the
emulator authorising the actions IAM names when it enforces IAM (an emulator of its own, iam_after)."""

from __future__ import annotations

import json

import boto3
import emulator
import pytest
from botocore.exceptions import ClientError
from iam_actions import iam_actions

SCOPED_ALLOW = {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"}
CONDITIONED_DENY = {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestTag/Environment": "prod"}},
}


def test_gap_plain_moto_neither_knows_the_resource_nor_evaluates_conditions():
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    # moto passes Resource "*" for an SSM request: an Allow scoped to parameter ARNs never applies,
    assert IAMPolicyStatement(SCOPED_ALLOW).is_action_permitted("ssm:PutParameter", "*") == PermissionResult.NEUTRAL
    # and a Deny conditioned on a key the request lacks denies every action.
    assert IAMPolicyStatement(CONDITIONED_DENY).is_action_permitted("sns:ListTopics") == PermissionResult.DENIED


def test_iam_actions_name_the_actions_iam_authorises():
    assert iam_actions("monitoring", "DescribeAlarms") == ["cloudwatch:DescribeAlarms"]
    assert iam_actions("cloudfront", "CreateDistributionWithTags") == [
        "cloudfront:CreateDistribution",
        "cloudfront:TagResource",
    ]
    assert iam_actions("elasticloadbalancing", "CreateListener", ["LoadBalancerArn", "Tags.member.1.Key"]) == [
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:AddTags",
    ]
    assert iam_actions("elasticloadbalancing", "CreateListener", ["LoadBalancerArn"]) == [
        "elasticloadbalancing:CreateListener"
    ]
    assert iam_actions("ec2", "RunInstances", ["TagSpecification.1.ResourceType"])[-1] == "ec2:CreateTags"


def test_fixed_the_emulator_authorises_actions_as_iam_names_them():
    proc, endpoint = emulator.start(iam_after=3)
    try:
        where = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        iam = boto3.client("iam", aws_access_key_id="testing", aws_secret_access_key="testing", **where)
        iam.create_user(UserName="deployer")  # the three requests let through
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["cloudwatch:DescribeAlarms", "route53:ListHostedZones"],
                    "Resource": "*",
                },
                SCOPED_ALLOW,
                CONDITIONED_DENY,
            ],
        }
        iam.put_user_policy(UserName="deployer", PolicyName="p", PolicyDocument=json.dumps(policy))
        session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        # CloudWatch signs as "monitoring"; IAM names its actions cloudwatch:*.
        assert session.client("cloudwatch", **where).describe_alarms()["MetricAlarms"] == []
        # A REST GET without a body: the signature covers the empty payload the client signed.
        assert session.client("route53", **where).list_hosted_zones()["HostedZones"] == []
        # Scoped by ARN: granted (moto knows no SSM resource; the scoping is not modelled), conditioned deny ignored.
        session.client("ssm", **where).put_parameter(Name="/app/x", Value="1", Type="String")
        with pytest.raises(ClientError) as denied:
            session.client("sns", **where).list_topics()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        emulator.stop_pid(proc.pid)
