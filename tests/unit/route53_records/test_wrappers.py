"""route53_records API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53
from botocore.stub import Stubber


@pytest.fixture
def route53():
    client = boto3.client("route53", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub


def test_list_by_names_reads_one_short_page_per_name(route53):
    client, stub = route53
    record = {"Name": "example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "1.2.3.4"}]}
    other = {"Name": "www.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "1.2.3.4"}]}
    stub.add_client_error("list_resource_record_sets", "Throttling", http_status_code=400)
    stub.add_response(
        "list_resource_record_sets",
        {"ResourceRecordSets": [record, other], "IsTruncated": False, "MaxItems": "20"},
        {"HostedZoneId": "Z1", "StartRecordName": "example.com.", "MaxItems": "20"},
    )
    assert r53.list_record_sets(client, "Z1", names=["example.com"]) == [record]
    stub.assert_no_pending_responses()


def test_missing_zone_reads_as_empty(route53):
    client, stub = route53
    stub.add_client_error("list_resource_record_sets", "NoSuchHostedZone", http_status_code=404)
    assert r53.list_record_sets(client, "Z1", names=["example.com"]) == []


def test_change_batch_request_shape_and_errors(route53):
    client, stub = route53
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {"Name": "a.", "Type": "A", "TTL": 1, "ResourceRecords": [{"Value": "1.1.1.1"}]},
    }
    stub.add_response(
        "change_resource_record_sets",
        {"ChangeInfo": {"Id": "C1", "Status": "PENDING", "SubmittedAt": "2026-01-01T00:00:00Z"}},
        {"HostedZoneId": "Z1", "ChangeBatch": {"Comment": "illustra.webstack", "Changes": [change]}},
    )
    assert r53.change_record_sets(client, "Z1", [change])["Id"] == "C1"
    stub.add_client_error("change_resource_record_sets", "InvalidChangeBatch", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="change resource record sets"):
        r53.change_record_sets(client, "Z1", [change])
