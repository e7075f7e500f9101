"""ec2_tagged_instance: the pure planning functions (input checks, the RunInstances request, drift, plans)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _ec2_instance as ec2

TAGS = {"Name": "illustra-prod-mongodb", "Project": "illustra", "Environment": "prod", "Role": "mongodb"}
MATCH = ["Name", "Project", "Environment"]
METADATA = dict(http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1)


def params(**kwargs):
    base = dict(
        state="present",
        match_tags=list(MATCH),
        image_id="ami-1",
        instance_type="t3.small",
        subnet_id="subnet-1",
        security_group_ids=["sg-db"],
        instance_profile_name="illustra-prod-mongodb",
        user_data="#!/bin/sh\necho boot\n",
        metadata_options=dict(METADATA),
        root_volume=dict(device_name="/dev/xvda", size=30, type="gp3", kms_key_id=None),
        wait=True,
        wait_timeout=600,
        tags=dict(TAGS),
        purge_tags=True,
    )
    base.update(kwargs)
    return base


def have(**kwargs):
    state = dict(
        instance_id="i-1",
        state="running",
        image_id="ami-1",
        instance_type="t3.small",
        subnet_id="subnet-1",
        private_ip_address="10.0.2.10",
        security_group_ids=["sg-db"],
        instance_profile_name="illustra-prod-mongodb",
        metadata_options=dict(METADATA),
        tags=dict(TAGS),
    )
    state.update(kwargs)
    return state


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(match_tags=[]), "match_tags is empty"),
        (dict(match_tags=["Name", "Owner"]), "match_tags names Owner, which tags does not set"),
        (dict(tags={"Project": "illustra", "Environment": "prod"}), "match_tags names Name"),
        (dict(image_id=None), "image_id is required with state=present"),
        (dict(instance_type=""), "instance_type is required with state=present"),
        (dict(root_volume=dict(device_name="/dev/xvda", size=0, type="gp3", kms_key_id=None)), "at least 1 GiB"),
    ],
)
def test_bad_input_is_named_before_any_call(kwargs, fragment):
    errors = ec2.validate(params(**kwargs))
    assert any(fragment in e for e in errors), errors


def test_good_input_and_removal_by_tags_alone_pass():
    assert ec2.validate(params()) == []
    assert ec2.validate(params(state="absent", image_id=None, instance_type=None, subnet_id=None)) == []


def test_the_instance_is_found_by_its_identifying_tags_among_live_instances():
    assert ec2.filters(TAGS, MATCH) == [
        {"Name": "tag:Name", "Values": ["illustra-prod-mongodb"]},
        {"Name": "tag:Project", "Values": ["illustra"]},
        {"Name": "tag:Environment", "Values": ["prod"]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]


def test_run_request_is_tagged_encrypted_imdsv2_and_idempotent():
    assert ec2.run_request(params(), "token-1") == {
        "ImageId": "ami-1",
        "InstanceType": "t3.small",
        "MinCount": 1,
        "MaxCount": 1,
        "SubnetId": "subnet-1",
        "SecurityGroupIds": ["sg-db"],
        "IamInstanceProfile": {"Name": "illustra-prod-mongodb"},
        "UserData": "#!/bin/sh\necho boot\n",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {"VolumeType": "gp3", "VolumeSize": 30, "Encrypted": True, "DeleteOnTermination": True},
            }
        ],
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
            {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
        ],
        "ClientToken": "token-1",
    }


def test_run_request_leaves_out_what_is_not_asked_and_names_the_volume_key():
    request = ec2.run_request(
        params(
            subnet_id=None,
            security_group_ids=None,
            instance_profile_name=None,
            user_data=None,
            root_volume=dict(device_name="/dev/sda1", size=None, type="io2", kms_key_id="alias/ebs"),
        ),
        "t",
    )
    assert not {"SubnetId", "SecurityGroupIds", "IamInstanceProfile", "UserData"} & set(request)
    assert request["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/sda1",
            "Ebs": {"VolumeType": "io2", "Encrypted": True, "DeleteOnTermination": True, "KmsKeyId": "alias/ebs"},
        }
    ]


def test_describe_reads_the_api_shape():
    instance = {
        "InstanceId": "i-1",
        "State": {"Name": "running"},
        "ImageId": "ami-1",
        "InstanceType": "t3.small",
        "SubnetId": "subnet-1",
        "PrivateIpAddress": "10.0.2.10",
        "SecurityGroups": [{"GroupId": "sg-db", "GroupName": "db"}],
        "IamInstanceProfile": {"Arn": "arn:aws:iam::123456789012:instance-profile/illustra-prod-mongodb"},
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
    }
    assert ec2.describe(instance) == have()


def test_no_instance_runs_one_and_predicts_it_without_id():
    actions, drift = ec2.plan_present([], ec2.desired(params()), True)
    assert drift == {}
    assert actions == [("run", ec2.desired(params()))]
    after = ec2.apply_plan([], actions)
    assert after["instance_id"] is None and after["tags"] == TAGS and after["state"] == "running"


def test_converged_instance_needs_nothing():
    assert ec2.plan_present([have()], ec2.desired(params()), True) == ([], {})


def test_stopped_instance_is_started():
    actions, _ = ec2.plan_present([have(state="stopped")], ec2.desired(params()), True)
    assert actions == [("start", "i-1")]
    assert ec2.apply_plan([have(state="stopped")], actions)["state"] == "running"


def test_security_groups_and_tags_converge_on_the_running_instance():
    current = have(security_group_ids=["sg-other"], tags=dict(TAGS, Role="old", Stray="x"))
    actions, drift = ec2.plan_present([current], ec2.desired(params()), True)
    assert drift == {}
    assert actions == [
        ("set_security_groups", ("i-1", ["sg-db"])),
        ("tag", ("i-1", {"Role": "mongodb"})),
        ("untag", ("i-1", ["Stray"])),
    ]
    assert ec2.apply_plan([current], actions) == have()
    assert [ec2.label(a, arg) for a, arg in actions] == [
        "set the security groups of i-1 to sg-db",
        "tag i-1: Role",
        "untag i-1: Stray",
    ]


def test_unpurged_tags_stay():
    actions, _ = ec2.plan_present([have(tags=dict(TAGS, Stray="x"))], ec2.desired(params()), False)
    assert actions == []


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("image_id", "ami-2"),
        ("instance_type", "t3.medium"),
        ("subnet_id", "subnet-2"),
        ("instance_profile_name", None),
        ("metadata_options", dict(METADATA, http_tokens="optional")),
    ],
)
def test_immutable_differences_are_reported_never_acted_on(attribute, value):
    actions, drift = ec2.plan_present([have(**{attribute: value})], ec2.desired(params()), True)
    assert actions == []
    assert drift == {attribute: {"have": value, "want": ec2.desired(params())[attribute]}}


@pytest.mark.parametrize("option", ["instance_profile_name", "subnet_id"])
def test_what_is_not_asked_is_left_as_the_instance_has_it(option):
    assert ec2.plan_present([have()], ec2.desired(params(**{option: None})), True) == ([], {})
    run = ec2.plan_present([], ec2.desired(params(**{option: None})), True)[0]
    assert option != "subnet_id" or ec2.label(*run[0]) == "run an instance of ami-1 (t3.small) in the default subnet"


def test_several_matching_instances_are_an_error_naming_them():
    with pytest.raises(ValueError, match="2 live instances carry the identifying tags \\(i-1, i-2\\)"):
        ec2.plan_present([have(), have(instance_id="i-2")], ec2.desired(params()), True)


def test_absent_terminates_every_match_and_nothing_when_none():
    actions = ec2.plan_absent([have(instance_id="i-2"), have()])
    assert actions == [("terminate", ["i-1", "i-2"])]
    assert ec2.apply_plan([have()], actions) is None
    assert ec2.label(*actions[0]) == "terminate i-1, i-2"
    assert ec2.plan_absent([]) == []
