"""iam_role_bundle: the API calls with botocore's Stubber (what is read, request shapes, retries, errors)."""

import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _iam_role as iam
from ansible_collections.illustra.webstack.plugins.modules import iam_role_bundle as mod
from botocore.stub import ANY, Stubber

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ARN = "arn:aws:iam::123456789012:role/web"
PROFILE_ARN = "arn:aws:iam::123456789012:instance-profile/web"
DATE = "2026-01-01T00:00:00Z"


@pytest.fixture
def client():
    c = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def _role(**extra):
    role = {
        "RoleName": "web", "Arn": ARN, "RoleId": "AROAEXAMPLE1234567890", "Path": "/", "CreateDate": DATE,
        "AssumeRolePolicyDocument": json.dumps(TRUST), "MaxSessionDuration": 3600,
        "Tags": [{"Key": "Project", "Value": "illustra"}],
    }  # fmt: skip
    role.update(extra)
    return role


def _profile(roles=("web",)):
    return {
        "InstanceProfileName": "web", "InstanceProfileId": "AIPAEXAMPLE1234567890", "Arn": PROFILE_ARN, "Path": "/",
        "CreateDate": DATE, "Roles": [_role(RoleName=r) for r in roles], "Tags": [{"Key": "Project", "Value": "illustra"}],
    }  # fmt: skip


def want(**kwargs):
    params = dict(name="web", path="/", tags={"Project": "illustra"}, purge_tags=True)
    params.update(kwargs)
    return iam.want_from_params(params)


def test_a_task_that_manages_one_inline_policy_reads_the_role_and_that_policy_only(client):
    client.stub.add_response("get_role", {"Role": _role()}, {"RoleName": "web"})
    client.stub.add_response(
        "get_role_policy",
        {"RoleName": "web", "PolicyName": "upload", "PolicyDocument": json.dumps(READ)},
        {"RoleName": "web", "PolicyName": "upload"},
    )
    state, profiles, profile = mod.read(client, want(inline_policies={"upload": READ}), "present")
    assert state["inline_policies"] == {"upload": READ} and state["managed_policies"] is None
    assert (profiles, profile) == ([], None)


def test_a_whole_role_is_read_with_one_call_per_part(client):
    client.stub.add_response("get_role", {"Role": _role()}, {"RoleName": "web"})
    client.stub.add_response(
        "list_attached_role_policies",
        {"AttachedPolicies": [{"PolicyArn": SSM, "PolicyName": "x"}]},
        {"RoleName": "web"},
    )
    client.stub.add_response("list_role_policies", {"PolicyNames": ["read"]}, {"RoleName": "web"})
    client.stub.add_response(
        "get_role_policy",
        {"RoleName": "web", "PolicyName": "read", "PolicyDocument": json.dumps(READ)},
        {"RoleName": "web", "PolicyName": "read"},
    )
    client.stub.add_response("get_instance_profile", {"InstanceProfile": _profile()}, {"InstanceProfileName": "web"})
    w = want(assume_role_policy_document=TRUST, managed_policies=[SSM], inline_policies={"read": READ},
             purge_inline_policies=True, instance_profile=True)  # fmt: skip
    state, _, profile = mod.read(client, w, "present")
    assert state["managed_policies"] == [SSM] and state["inline_policies"] == {"read": READ}
    assert profile["roles"] == ["web"] and iam.plan_present(state, w) == []


def test_a_missing_role_reads_as_empty(client):
    client.stub.add_client_error("get_role", "NoSuchEntity", "no role", http_status_code=404)
    assert mod.read(client, want(), "present") == ({}, [], None)


def test_create_request_shapes_and_waits(client):
    w = want(assume_role_policy_document=TRUST, description="web instances", managed_policies=[SSM],
             inline_policies={"read": READ}, instance_profile=True)  # fmt: skip
    client.stub.add_response(
        "create_role",
        {"Role": _role()},
        {"RoleName": "web", "Path": "/", "AssumeRolePolicyDocument": json.dumps(TRUST), "MaxSessionDuration": 3600,
         "Description": "web instances", "Tags": [{"Key": "Project", "Value": "illustra"}]},
    )  # fmt: skip
    # The waiters accept an HTTP 200, which a stubbed response carries only when told.
    ok = {"ResponseMetadata": {"HTTPStatusCode": 200}}
    client.stub.add_response("get_role", {"Role": _role(), **ok}, {"RoleName": "web"})  # the role_exists waiter
    client.stub.add_response("attach_role_policy", {}, {"RoleName": "web", "PolicyArn": SSM})
    client.stub.add_response(
        "put_role_policy", {}, {"RoleName": "web", "PolicyName": "read", "PolicyDocument": json.dumps(READ)}
    )
    client.stub.add_response(
        "create_instance_profile",
        {"InstanceProfile": _profile(roles=())},
        {"InstanceProfileName": "web", "Path": "/", "Tags": [{"Key": "Project", "Value": "illustra"}]},
    )
    client.stub.add_response("add_role_to_instance_profile", {}, {"InstanceProfileName": "web", "RoleName": "web"})
    client.stub.add_response(
        "get_instance_profile", {"InstanceProfile": _profile(), **ok}, {"InstanceProfileName": "web"}
    )
    created = mod.apply_actions(client, "web", iam.plan_present({}, w))
    assert created["role"]["Arn"] == ARN and created["profile"]["Arn"] == PROFILE_ARN


def test_update_request_shapes(client):
    have = iam.describe(_role(Description="old"), [], {"read": READ, "old": READ}, None)
    w = want(assume_role_policy_document=READ, description="new", max_session_duration=7200,
             tags={"Environment": "prod"}, managed_policies=[SSM], inline_policies={"read": TRUST},
             purge_inline_policies=True)  # fmt: skip
    client.stub.add_response("update_assume_role_policy", {}, {"RoleName": "web", "PolicyDocument": json.dumps(READ)})
    client.stub.add_response("update_role", {}, {"RoleName": "web", "Description": "new", "MaxSessionDuration": 7200})
    client.stub.add_response("tag_role", {}, {"RoleName": "web", "Tags": [{"Key": "Environment", "Value": "prod"}]})
    client.stub.add_response("untag_role", {}, {"RoleName": "web", "TagKeys": ["Project"]})
    client.stub.add_response("attach_role_policy", {}, {"RoleName": "web", "PolicyArn": SSM})
    client.stub.add_response(
        "put_role_policy", {}, {"RoleName": "web", "PolicyName": "read", "PolicyDocument": json.dumps(TRUST)}
    )
    client.stub.add_response("delete_role_policy", {}, {"RoleName": "web", "PolicyName": "old"})
    assert mod.apply_actions(client, "web", iam.plan_present(have, w)) == {}


def test_removal_request_shapes(client):
    have = iam.describe(_role(), [{"PolicyArn": SSM}], {"read": READ}, None)
    client.stub.add_response("remove_role_from_instance_profile", {}, {"InstanceProfileName": "web", "RoleName": "web"})
    client.stub.add_response("delete_instance_profile", {}, {"InstanceProfileName": "web"})
    client.stub.add_response("detach_role_policy", {}, {"RoleName": "web", "PolicyArn": SSM})
    client.stub.add_response("delete_role_policy", {}, {"RoleName": "web", "PolicyName": "read"})
    client.stub.add_response("delete_role", {}, {"RoleName": "web"})
    actions = iam.plan_absent(have, ["web"], iam.describe_profile(_profile()))
    mod.apply_actions(client, "web", actions)


def test_throttling_is_retried(client):
    client.stub.add_client_error("get_role", "Throttling", "Rate exceeded", http_status_code=400)
    client.stub.add_response("get_role", {"Role": _role()}, {"RoleName": "web"})
    assert mod.read(client, want(), "present")[0]["arn"] == ARN


def test_a_role_iam_does_not_know_everywhere_yet_is_retried(client):
    client.stub.add_client_error("attach_role_policy", "NoSuchEntity", "not yet", http_status_code=404)
    client.stub.add_response("attach_role_policy", {}, {"RoleName": "web", "PolicyArn": SSM})
    mod.apply_actions(client, "web", [("attach_policy", SSM)])


def test_other_errors_surface_with_what_failed(client):
    client.stub.add_client_error("put_role_policy", "MalformedPolicyDocument", "bad action", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="Failed to put an inline policy on the role"):
        mod.apply_actions(client, "web", [("put_policy", ("read", READ))])


def test_removing_what_is_already_gone_is_not_an_error(client):
    client.stub.add_client_error("delete_role_policy", "NoSuchEntity", "gone", http_status_code=404)
    client.stub.add_client_error("delete_role", "NoSuchEntity", "gone", http_status_code=404)
    mod.apply_actions(client, "web", [("delete_policy", "read"), ("delete_role", "web")])


def test_removal_of_a_missing_role_looks_for_its_profile(client):
    client.stub.add_client_error("get_role", "NoSuchEntity", "no role", http_status_code=404)
    client.stub.add_response(
        "get_instance_profile", {"InstanceProfile": _profile(roles=())}, {"InstanceProfileName": ANY}
    )
    state, profiles, profile = mod.read(client, want(), "absent")
    assert state == {} and profiles == [] and iam.plan_absent(state, profiles, profile) == [("delete_profile", "web")]
