"""cloudwatch_dashboard: the body is compared as parsed JSON; API wrappers with the Stubber."""

import json

import boto3
import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudwatch as cw
from ansible_collections.illustra.webstack.plugins.modules import cloudwatch_dashboard as mod
from botocore.stub import Stubber

BODY = {"widgets": [{"type": "metric", "properties": {"title": "CPU", "metrics": [["AWS/EC2", "CPUUtilization"]]}}]}


@pytest.mark.parametrize(
    ("current", "differs"),
    [
        (None, True),
        (json.dumps(BODY), False),
        (json.dumps(BODY, indent=4, sort_keys=True), False),
        (
            '{"widgets": [{"properties": {"metrics": [["AWS/EC2", "CPUUtilization"]], "title": "CPU"},'
            ' "type": "metric"}]}',
            False,
        ),
        (json.dumps({"widgets": []}), True),
        ("not json", True),
    ],
)
def test_dashboard_differs(current, differs):
    assert cw.dashboard_differs(BODY, current) is differs


@pytest.mark.parametrize(("body", "message"), [("{", "body is not valid JSON"), ("[]", "must be a JSON object")])
def test_parse_body_errors(body, message):
    with pytest.raises(ValueError, match=message):
        cw.parse_body(body)


def test_canonical_body_is_stable():
    assert cw.canonical_body(json.dumps(BODY, indent=2)) == cw.canonical_body(BODY)


@pytest.fixture
def client():
    c = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def test_missing_dashboard_reads_as_none(client):
    client.stub.add_client_error("get_dashboard", "ResourceNotFound", "Dashboard does not exist", http_status_code=404)
    assert mod.get_dashboard(client, "x") is None


def test_put_sends_canonical_text_and_retries_throttling(client):
    client.stub.add_client_error("put_dashboard", "Throttling", "slow down", http_status_code=400)
    client.stub.add_response(
        "put_dashboard",
        {"DashboardValidationMessages": []},
        # BODY as compact JSON with its keys sorted, written out.
        {
            "DashboardName": "x",
            "DashboardBody": '{"widgets":[{"properties":{"metrics":[["AWS/EC2","CPUUtilization"]],"title":"CPU"},'
            '"type":"metric"}]}',
        },
    )
    assert mod.put_dashboard(client, "x", cw.canonical_body(json.dumps(BODY, indent=2))) == []
