"""vpc_network's security groups: typed rules, and a diff that shows the rules that change.

EC2 is botocore's Stubber; the module object is the shared FakeModule.
"""

import boto3
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.illustra.webstack.plugins.modules import vpc_network as mod
from botocore.stub import Stubber

VPC = "vpc-0123456789abcdef0"
IN_VPC = {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}
TAGS = {"Project": "illustra", "Environment": "staging", "ManagedBy": "illustra.webstack"}
GROUPS = [
    {
        "key": "app",
        "description": "app",
        "ingress": [{"ports": [80], "cidr_ip": ["10.20.0.0/16"], "description": "from the VPC"}],
        "egress": [{"protocol": "all", "cidr_ip": ["0.0.0.0/0"]}],
    },
    {
        "key": "db",
        "description": "db",
        "ingress": [{"ports": [27017], "source_group": "app"}],
        "egress": [{"ports": [443], "cidr_ip": ["0.0.0.0/0"]}],
    },
]


def validated(params):
    result = ArgumentSpecValidator(mod.argument_spec()).validate(params)
    return result.validated_parameters, [str(e) for e in result.errors]


def test_rules_are_typed_and_filled_with_defaults():
    params, errors = validated({"name": "n", "tags": TAGS, "security_groups": GROUPS})
    assert errors == []
    rule = params["security_groups"][1]["ingress"][0]
    assert rule == {
        "protocol": "tcp",
        "ports": [27017],
        "cidr_ip": [],
        "cidr_ipv6": [],
        "source_group": "app",
        "description": None,
    }


def test_an_unknown_rule_option_is_refused():
    groups = [{"key": "app", "description": "app", "ingress": [{"ports": [80], "cidr_ips": ["10.0.0.0/8"]}]}]
    _params, errors = validated({"name": "n", "tags": TAGS, "security_groups": groups})
    assert any("cidr_ips" in e for e in errors), errors


def group(name, group_id, ingress, egress):
    return {
        "GroupName": name,
        "GroupId": group_id,
        "Description": name,
        "VpcId": VPC,
        "OwnerId": "123456789012",
        "IpPermissions": ingress,
        "IpPermissionsEgress": egress,
        "Tags": [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in TAGS.items())],
    }


def described(db_ingress):
    return {
        "SecurityGroups": [
            group(
                "illustra-staging-app",
                "sg-app",
                [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}],
                [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            ),
            group(
                "illustra-staging-db",
                "sg-db",
                db_ingress,
                [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            ),
        ]
    }


FROM_APP = {"IpProtocol": "tcp", "FromPort": 27017, "ToPort": 27017, "UserIdGroupPairs": [{"GroupId": "sg-app"}]}
FROM_WORLD = {"IpProtocol": "tcp", "FromPort": 27017, "ToPort": 27017, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture
def ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def network(fake_module, client, check_mode):
    params, errors = validated({"name": "illustra-staging", "tags": TAGS, "security_groups": GROUPS})
    assert errors == []
    net = mod.Network(fake_module(params, check_mode=check_mode, clients={"ec2": client}))
    net.vpc = {"VpcId": VPC, "CidrBlock": "10.20.0.0/16"}
    return net


def test_drift_shows_the_changed_direction_before_and_after_and_nothing_else(ec2, fake_module):
    client, stub = ec2
    stub.add_response("describe_security_groups", described([FROM_APP, FROM_WORLD]), IN_VPC)
    net = network(fake_module, client, check_mode=True)
    assert net.ensure_security_groups() is True
    assert net.diff_before == {
        "security_groups": {"db": {"ingress": ["tcp 27017 from 0.0.0.0/0", "tcp 27017 from group app"]}}
    }
    assert net.diff_after == {"security_groups": {"db": {"ingress": ["tcp 27017 from group app"]}}}
    assert net.actions == ["ingress of db: authorize 0, revoke 1"]


def test_the_drift_is_revoked_exactly(ec2, fake_module):
    client, stub = ec2
    stub.add_response("describe_security_groups", described([FROM_APP, FROM_WORLD]), IN_VPC)
    stub.add_response(
        "revoke_security_group_ingress",
        {"Return": True},
        {
            "GroupId": "sg-db",
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 27017, "ToPort": 27017, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        },
    )
    assert network(fake_module, client, check_mode=False).ensure_security_groups() is True


def test_a_converged_set_has_an_empty_diff(ec2, fake_module):
    client, stub = ec2
    stub.add_response("describe_security_groups", described([FROM_APP]), IN_VPC)
    net = network(fake_module, client, check_mode=True)
    assert net.ensure_security_groups() is False
    assert (net.diff_before, net.diff_after, net.actions) == ({}, {}, [])
