"""cloudwatch_log_groups: the API calls with botocore's Stubber (what is read, request shapes, retries, errors).
The emulator lacks AssociateKmsKey: covered here."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _log_groups as lg
from ansible_collections.illustra.webstack.plugins.modules import cloudwatch_log_groups as mod
from botocore.stub import Stubber

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/illustra/prod/app"


@pytest.fixture
def client():
    c = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def test_a_group_is_found_by_its_exact_name_and_its_tags_read(client):
    client.stub.add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": "/illustra/prod/app-old", "arn": "x:*"},
                       {"logGroupName": "/illustra/prod/app", "arn": ARN + ":*", "retentionInDays": 30}]},
        {"logGroupNamePrefix": "/illustra/prod/app"},
    )  # fmt: skip
    client.stub.add_response("list_tags_for_resource", {"tags": {"Project": "illustra"}}, {"resourceArn": ARN})
    current = mod.read(client, ["/illustra/prod/app"], manage_tags=True)
    assert current["/illustra/prod/app"]["retention"] == 30 and current["/illustra/prod/app"]["tags"] == {
        "Project": "illustra"
    }


def test_request_shapes(client):
    current = {
        "/illustra/prod/old": lg.describe({"logGroupName": "/illustra/prod/old", "arn": ARN + "-old:*"}, {"Stale": "1"})
    }
    actions = [
        ("create", dict(name="/illustra/prod/app", kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k", tags={"Project": "illustra"})),
        ("put_retention", ("/illustra/prod/app", 30)),
        ("associate_kms_key", ("/illustra/prod/old", "arn:aws:kms:us-east-1:123456789012:key/k")),
        ("tag", ("/illustra/prod/old", {"Project": "illustra"})),
        ("untag", ("/illustra/prod/old", ["Stale"])),
        ("delete", "/illustra/prod/gone"),
    ]  # fmt: skip
    client.stub.add_response(
        "create_log_group",
        {},
        {"logGroupName": "/illustra/prod/app", "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
         "tags": {"Project": "illustra"}},
    )  # fmt: skip
    client.stub.add_response("put_retention_policy", {}, {"logGroupName": "/illustra/prod/app", "retentionInDays": 30})
    client.stub.add_response(
        "associate_kms_key",
        {},
        {"logGroupName": "/illustra/prod/old", "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"},
    )
    client.stub.add_response("tag_resource", {}, {"resourceArn": ARN + "-old", "tags": {"Project": "illustra"}})
    client.stub.add_response("untag_resource", {}, {"resourceArn": ARN + "-old", "tagKeys": ["Stale"]})
    client.stub.add_response("delete_log_group", {}, {"logGroupName": "/illustra/prod/gone"})
    mod.apply_actions(client, current, actions)


@pytest.mark.parametrize("code", ["ThrottlingException", "OperationAbortedException"])
def test_throttling_and_concurrent_operations_are_retried(client, code):
    client.stub.add_client_error("put_retention_policy", code, "try again", http_status_code=400)
    client.stub.add_response("put_retention_policy", {}, {"logGroupName": "/a", "retentionInDays": 7})
    mod.apply_actions(client, {}, [("put_retention", ("/a", 7))])


def test_other_errors_surface(client):
    client.stub.add_client_error("create_log_group", "LimitExceededException", "too many", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="Failed to create the log group"):
        mod.apply_actions(client, {}, [("create", dict(name="/a", kms_key_id=None, tags={}))])


def test_deleting_a_group_already_gone_is_not_an_error(client):
    client.stub.add_client_error("delete_log_group", "ResourceNotFoundException", "gone", http_status_code=400)
    mod.apply_actions(client, {}, [("delete", "/a")])
