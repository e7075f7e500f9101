"""ec2_tagged_instance: the API calls with botocore's Stubber (what is read, request shapes, waits, the retry of
an instance profile IAM has not yet shown to EC2, throttling retried, other errors surfaced)."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _ec2_instance as ec2
from ansible_collections.illustra.webstack.plugins.modules import ec2_tagged_instance as mod
from botocore.stub import ANY, Stubber

TAGS = {"Name": "db", "Project": "illustra", "Environment": "prod"}
# The DescribeInstances filters and the RunInstances request of params(), written out from the EC2 API reference.
FILTERS = [
    {"Name": "tag:Name", "Values": ["db"]},
    {"Name": "tag:Project", "Values": ["illustra"]},
    {"Name": "tag:Environment", "Values": ["prod"]},
    {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
]
TAG_LIST = [
    {"Key": "Name", "Value": "db"},
    {"Key": "Project", "Value": "illustra"},
    {"Key": "Environment", "Value": "prod"},
]
RUN_REQUEST = {
    "ImageId": "ami-1",
    "InstanceType": "t3.small",
    "MinCount": 1,
    "MaxCount": 1,
    "SubnetId": "subnet-1",
    "SecurityGroupIds": ["sg-db"],
    "IamInstanceProfile": {"Name": "db"},
    "UserData": "#!/bin/sh\n",  # as text: botocore base64-encodes it when it builds the request
    "BlockDeviceMappings": [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"VolumeType": "gp3", "VolumeSize": 30, "Encrypted": True, "DeleteOnTermination": True},
        }
    ],
    "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
    "TagSpecifications": [{"ResourceType": "instance", "Tags": TAG_LIST}, {"ResourceType": "volume", "Tags": TAG_LIST}],
    "ClientToken": ANY,
}


@pytest.fixture
def client():
    c = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def params(**kwargs):
    base = dict(state="present", match_tags=["Name", "Project", "Environment"], image_id="ami-1",
                instance_type="t3.small", subnet_id="subnet-1", security_group_ids=["sg-db"],
                instance_profile_name="db", user_data="#!/bin/sh\n",
                metadata_options=dict(http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
                root_volume=dict(device_name="/dev/xvda", size=30, type="gp3", kms_key_id=None),
                wait=True, wait_timeout=600, tags=dict(TAGS), purge_tags=True)  # fmt: skip
    base.update(kwargs)
    return base


def _instance(instance_id="i-1", state="running"):
    return {"InstanceId": instance_id, "State": {"Name": state, "Code": 16}, "PrivateIpAddress": "10.0.2.10",
            "ImageId": "ami-1", "InstanceType": "t3.small", "SubnetId": "subnet-1", "Tags": TAG_LIST}  # fmt: skip


def test_the_instances_are_read_in_pages_by_their_tags(client):
    client.stub.add_response(
        "describe_instances", {"Reservations": [{"Instances": [_instance()]}], "NextToken": "n"}, {"Filters": FILTERS}
    )
    client.stub.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [_instance("i-2")]}]},
        {"Filters": FILTERS, "NextToken": "n"},
    )
    found = mod.find_instances(client, ec2.filters(TAGS, ["Name", "Project", "Environment"]))
    assert [i["InstanceId"] for i in found] == ["i-1", "i-2"]


def test_a_new_instance_is_run_as_written_and_waited_for(client):
    client.stub.add_response("run_instances", {"Instances": [_instance(state="pending")]}, RUN_REQUEST)
    client.stub.add_response(
        "describe_instances", {"Reservations": [{"Instances": [_instance()]}]}, {"InstanceIds": ["i-1"]}
    )
    launched = mod.apply_actions(client, params(), [("run", ec2.desired(params()))])
    assert launched["InstanceId"] == "i-1" and launched["PrivateIpAddress"] == "10.0.2.10"


def test_a_profile_iam_has_not_yet_shown_to_ec2_is_retried(client, monkeypatch):
    monkeypatch.setattr(mod, "PROFILE_PROPAGATION_DELAY", 0)
    message = "Value (db) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
    client.stub.add_client_error("run_instances", "InvalidParameterValue", message, http_status_code=400)
    client.stub.add_response("run_instances", {"Instances": [_instance(state="pending")]}, RUN_REQUEST)
    assert mod.apply_actions(client, params(wait=False), [("run", ec2.desired(params()))])["InstanceId"] == "i-1"


def test_other_invalid_parameters_are_not_retried(client):
    client.stub.add_client_error(
        "run_instances", "InvalidParameterValue", "Invalid value 't9.huge'", http_status_code=400
    )
    with pytest.raises(AnsibleAWSError, match="Failed to run the instance"):
        mod.apply_actions(client, params(wait=False), [("run", ec2.desired(params()))])


def test_start_groups_tags_and_untag_requests(client):
    client.stub.add_response("start_instances", {}, {"InstanceIds": ["i-1"]})
    client.stub.add_response("modify_instance_attribute", {}, {"InstanceId": "i-1", "Groups": ["sg-db"]})
    client.stub.add_response("create_tags", {}, {"Resources": ["i-1"], "Tags": [{"Key": "Role", "Value": "mongodb"}]})
    client.stub.add_response("delete_tags", {}, {"Resources": ["i-1"], "Tags": [{"Key": "Stray"}]})
    actions = [
        ("start", "i-1"),
        ("set_security_groups", ("i-1", ["sg-db"])),
        ("tag", ("i-1", {"Role": "mongodb"})),
        ("untag", ("i-1", ["Stray"])),
    ]
    assert mod.apply_actions(client, params(wait=False), actions) is None


def test_termination_is_waited_for(client):
    client.stub.add_response("terminate_instances", {}, {"InstanceIds": ["i-1", "i-2"]})
    terminated = [_instance("i-1", "terminated"), _instance("i-2", "terminated")]
    client.stub.add_response(
        "describe_instances", {"Reservations": [{"Instances": terminated}]}, {"InstanceIds": ["i-1", "i-2"]}
    )
    mod.apply_actions(client, params(state="absent"), [("terminate", ["i-1", "i-2"])])


@pytest.mark.parametrize("code", ["RequestLimitExceeded", "IncorrectState"])
def test_throttling_and_transitions_are_retried(client, code):
    client.stub.add_client_error("start_instances", code, "wait", http_status_code=400)
    client.stub.add_response("start_instances", {}, {"InstanceIds": ["i-1"]})
    mod.apply_actions(client, params(wait=False), [("start", "i-1")])


def test_other_errors_surface_with_what_failed(client):
    client.stub.add_client_error("terminate_instances", "UnauthorizedOperation", "no", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="Failed to terminate the instances"):
        mod.apply_actions(client, params(state="absent", wait=False), [("terminate", ["i-1"])])
