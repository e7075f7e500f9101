"""ssm_parameters: the API calls with botocore's Stubber (what is read, request shapes, batching, retries, errors)."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _ssm_parameters as ssm
from ansible_collections.illustra.webstack.plugins.modules import ssm_parameters as mod
from botocore.stub import Stubber

URI = "/illustra/prod/db/uri"
PASSWORD = "/illustra/prod/db/password"


@pytest.fixture
def client():
    c = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def param(name, value="v", **kwargs):
    p = dict(name=name, value=value, type="SecureString", description=None, key_id=None, tier=None)
    p.update(kwargs)
    return p


def _got(name, value="v", version=1):
    return {"Name": name, "Type": "SecureString", "Value": value, "Version": version}


def test_values_and_tags_are_read_without_describe_when_no_setting_is_managed(client):
    client.stub.add_response(
        "get_parameters",
        {"Parameters": [_got(URI)], "InvalidParameters": [PASSWORD]},
        {"Names": [URI, PASSWORD], "WithDecryption": True},
    )
    client.stub.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "Project", "Value": "illustra"}]},
        {"ResourceType": "Parameter", "ResourceId": URI},
    )
    current = mod.read(client, [param(URI), param(PASSWORD)], "present", manage_tags=True)
    assert list(current) == [URI] and current[URI]["tags"] == {"Project": "illustra"}


def test_descriptions_keys_and_tiers_are_read_in_one_describe_call(client):
    client.stub.add_response("get_parameters", {"Parameters": [_got(URI)]}, {"Names": [URI], "WithDecryption": True})
    client.stub.add_response(
        "describe_parameters",
        {"Parameters": [{"Name": URI, "Description": "d", "KeyId": "alias/aws/ssm", "Tier": "Standard"}]},
        {"ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": [URI]}]},
    )
    current = mod.read(client, [param(URI, description="d")], "present", manage_tags=False)
    assert current[URI]["description"] == "d" and current[URI]["tags"] is None


def test_a_secret_kept_as_it_is_is_not_decrypted(client):
    client.stub.add_response("get_parameters", {"Parameters": [_got(URI)]}, {"Names": [URI], "WithDecryption": False})
    current = mod.read(client, [param(URI)], "present", manage_tags=False, compare_values=False)
    assert ssm.plan_present(current, [param(URI, "another")], overwrite="never") == []


def test_more_than_ten_names_are_read_in_batches(client):
    names = [f"/illustra/prod/p{i:02}" for i in range(11)]
    client.stub.add_response("get_parameters", {"Parameters": []}, {"Names": names[:10], "WithDecryption": True})
    client.stub.add_response("get_parameters", {"Parameters": []}, {"Names": names[10:], "WithDecryption": True})
    assert mod.read(client, [param(n) for n in names], "present", manage_tags=True) == {}


def test_write_request_shapes(client):
    current = {URI: ssm.describe(_got(URI, "old", 3), {}, {"Stale": "1"})}
    actions = ssm.plan_present(
        current, [param(URI, "new", description="uri"), param(PASSWORD, "pw")], {"Project": "illustra"}
    )
    client.stub.add_response(
        "put_parameter",
        {"Version": 4},
        {"Name": URI, "Value": "new", "Type": "SecureString", "Overwrite": True, "Description": "uri"},
    )
    client.stub.add_response(
        "add_tags_to_resource",
        {},
        {"ResourceType": "Parameter", "ResourceId": URI, "Tags": [{"Key": "Project", "Value": "illustra"}]},
    )
    client.stub.add_response(
        "remove_tags_from_resource", {}, {"ResourceType": "Parameter", "ResourceId": URI, "TagKeys": ["Stale"]}
    )
    # A new parameter carries its tags from the start (Parameter Store refuses Tags with Overwrite).
    client.stub.add_response(
        "put_parameter",
        {"Version": 1},
        {"Name": PASSWORD, "Value": "pw", "Type": "SecureString", "Overwrite": False,
         "Tags": [{"Key": "Project", "Value": "illustra"}]},
    )  # fmt: skip
    mod.apply_actions(client, actions)


def test_removal_reads_and_deletes_in_one_call_each_without_decrypting(client):
    client.stub.add_response(
        "get_parameters",
        {"Parameters": [_got(URI)], "InvalidParameters": [PASSWORD]},
        {"Names": [URI, PASSWORD], "WithDecryption": False},
    )
    client.stub.add_response("delete_parameters", {"DeletedParameters": [URI]}, {"Names": [URI]})
    current = mod.read(client, [param(URI, None), param(PASSWORD, None)], "absent", manage_tags=True)
    mod.apply_actions(client, ssm.plan_absent(current, [URI, PASSWORD]))


@pytest.mark.parametrize("code", ["ThrottlingException", "TooManyUpdates"])
def test_throttling_and_bursts_of_updates_are_retried(client, code):
    client.stub.add_client_error("put_parameter", code, "slow down", http_status_code=400)
    client.stub.add_response("put_parameter", {"Version": 2}, None)
    mod.apply_actions(client, [("put", param(URI))])


def test_other_errors_surface_with_what_failed(client):
    client.stub.add_client_error("put_parameter", "ParameterLimitExceeded", "too many", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="Failed to write the parameter"):
        mod.apply_actions(client, [("create", dict(param(URI), tags={}))])
