"""cloudwatch_alarms: API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import cloudwatch_alarms as mod
from botocore.stub import Stubber


@pytest.fixture
def client():
    c = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def test_describe_pages_by_prefix(client):
    expected = {"AlarmNamePrefix": "p-", "AlarmTypes": ["MetricAlarm"]}
    client.stub.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": "p-a"}], "NextToken": "t"}, expected)
    client.stub.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": "p-b"}]}, dict(expected, NextToken="t"))
    assert [a["AlarmName"] for a in mod.describe_alarms(client, "p-")] == ["p-a", "p-b"]


def test_throttling_is_retried(client):
    client.stub.add_client_error("describe_alarms", "Throttling", "Rate exceeded", http_status_code=400)
    client.stub.add_response("describe_alarms", {"MetricAlarms": []})
    assert mod.describe_alarms(client, "p-") == []


def test_put_sends_tags_on_create_only(client):
    req = {
        "AlarmName": "p-a",
        "MetricName": "m",
        "Namespace": "n",
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 1.0,
    }
    client.stub.add_response("put_metric_alarm", {}, dict(req, Tags=[{"Key": "Project", "Value": "illustra"}]))
    client.stub.add_response("put_metric_alarm", {}, req)
    mod.put_alarm(client, req, {"Project": "illustra"})
    mod.put_alarm(client, req)


def test_delete_in_batches_of_100(client):
    names = [f"p-{i:03d}" for i in range(150)]
    client.stub.add_response("delete_alarms", {}, {"AlarmNames": names[:100]})
    client.stub.add_response("delete_alarms", {}, {"AlarmNames": names[100:]})
    mod.delete_alarms(client, names)


def test_errors_surface(client):
    client.stub.add_client_error("put_metric_alarm", "LimitExceeded", "too many alarms")
    with pytest.raises(AnsibleAWSError, match="Failed to put an alarm"):
        mod.put_alarm(
            client,
            {
                "AlarmName": "p-a",
                "MetricName": "m",
                "Namespace": "n",
                "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": 1.0,
            },
        )
