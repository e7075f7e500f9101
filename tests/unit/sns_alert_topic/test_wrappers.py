"""sns_alert_topic: the API calls with botocore's Stubber (finding the topic, request shapes, retries, errors)."""

import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import sns_alert_topic as mod
from botocore.stub import Stubber

ARN = "arn:aws:sns:us-east-1:123456789012:illustra-prod-alerts"
POLICY = {"Version": "2012-10-17", "Statement": []}


@pytest.fixture
def client():
    c = boto3.client("sns", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def test_the_topic_is_found_by_name_and_read(client):
    client.stub.add_response("list_topics", {"Topics": [{"TopicArn": ARN + "-old"}, {"TopicArn": ARN}]}, {})
    client.stub.add_response(
        "get_topic_attributes", {"Attributes": {"DisplayName": "d", "Policy": json.dumps(POLICY)}}, {"TopicArn": ARN}
    )
    client.stub.add_response(
        "list_subscriptions_by_topic",
        {
            "Subscriptions": [
                {
                    "Protocol": "email",
                    "Endpoint": "ops@example.com",
                    "SubscriptionArn": "PendingConfirmation",
                    "TopicArn": ARN,
                }
            ]
        },
        {"TopicArn": ARN},
    )
    client.stub.add_response(
        "list_tags_for_resource", {"Tags": [{"Key": "Project", "Value": "illustra"}]}, {"ResourceArn": ARN}
    )
    state = mod.read(client, "illustra-prod-alerts", manage_subscriptions=True, manage_tags=True)
    assert state["arn"] == ARN and state["policy"] == POLICY and state["tags"] == {"Project": "illustra"}
    assert state["subscriptions"][0]["arn"] == "PendingConfirmation"


def test_a_missing_topic_reads_as_empty(client):
    client.stub.add_response("list_topics", {"Topics": []}, {})
    assert mod.read(client, "illustra-prod-alerts", True, True) == {}


def test_request_shapes(client):
    actions = [
        (
            "create",
            dict(name="illustra-prod-alerts", display_name="alerts", policy=POLICY, tags={"Project": "illustra"}),
        ),
        ("set_attribute", ("DisplayName", "new")),
        ("subscribe", dict(protocol="email", endpoint="ops@example.com")),
        ("unsubscribe", dict(protocol="email", endpoint="old@x", arn=ARN + ":s2")),
        ("untag", ["Stale"]),
    ]
    client.stub.add_response(
        "create_topic",
        {"TopicArn": ARN},
        {"Name": "illustra-prod-alerts", "Attributes": {"DisplayName": "alerts", "Policy": json.dumps(POLICY)},
         "Tags": [{"Key": "Project", "Value": "illustra"}]},
    )  # fmt: skip
    client.stub.add_response(
        "set_topic_attributes", {}, {"TopicArn": ARN, "AttributeName": "DisplayName", "AttributeValue": "new"}
    )
    client.stub.add_response(
        "subscribe",
        {"SubscriptionArn": "pending confirmation"},
        {"TopicArn": ARN, "Protocol": "email", "Endpoint": "ops@example.com"},
    )
    client.stub.add_response("unsubscribe", {}, {"SubscriptionArn": ARN + ":s2"})
    client.stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": ["Stale"]})
    arn, subscribed = mod.apply_actions(client, {}, actions)
    assert arn == ARN and subscribed == {("email", "ops@example.com"): "pending confirmation"}


@pytest.mark.parametrize("code", ["Throttled", "ThrottlingException"])
def test_throttling_is_retried(client, code):
    client.stub.add_client_error("list_topics", code, "slow down", http_status_code=400)
    client.stub.add_response("list_topics", {"Topics": []}, {})
    assert mod.find_topic_arn(client, "x") is None


def test_other_errors_surface(client):
    client.stub.add_client_error("create_topic", "AuthorizationError", "denied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="Failed to create the topic"):
        mod.apply_actions(client, {}, [("create", dict(name="t", display_name="", policy=None, tags={}))])
