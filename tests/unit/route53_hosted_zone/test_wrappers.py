"""route53_hosted_zone API wrappers with botocore's Stubber: request shapes, paging, retries, errors."""

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
        stub.assert_no_pending_responses()


def listed(zone_id, name="example.com."):
    return {"Id": f"/hostedzone/{zone_id}", "Name": name, "CallerReference": zone_id, "Config": {"PrivateZone": False}}


def page(zones, next_name=None, next_id=None):
    resp = {"HostedZones": zones, "IsTruncated": bool(next_id), "MaxItems": "100"}
    if next_id:
        resp.update(NextDNSName=next_name, NextHostedZoneId=next_id)
    return resp


def test_zones_named_exactly_across_pages_and_throttling(route53):
    client, stub = route53
    stub.add_client_error("list_hosted_zones_by_name", "Throttling", http_status_code=400)
    stub.add_response(
        "list_hosted_zones_by_name",
        page([listed("Z1")], "example.com.", "Z2"),
        {"DNSName": "example.com.", "MaxItems": "100"},
    )
    stub.add_response(
        "list_hosted_zones_by_name",
        page([listed("Z2"), listed("Z3", "example.org.")], "example.org.", "Z4"),
        {"DNSName": "example.com.", "MaxItems": "100", "HostedZoneId": "Z2"},
    )
    assert [z["Id"] for z in r53.list_zones_named(client, "Example.com")] == ["/hostedzone/Z1", "/hostedzone/Z2"]


def test_tags_are_read_ten_zones_at_a_time(route53):
    client, stub = route53
    ids = [f"Z{i}" for i in range(12)]
    for batch in (ids[:10], ids[10:]):
        sets = [{"ResourceType": "hostedzone", "ResourceId": i, "Tags": [{"Key": "K", "Value": i}]} for i in batch]
        stub.add_response(
            "list_tags_for_resources", {"ResourceTagSets": sets}, {"ResourceType": "hostedzone", "ResourceIds": batch}
        )
    assert r53.zone_tags(client, ids) == {i: {"K": i} for i in ids}


def test_create_is_public_with_our_caller_reference(route53):
    client, stub = route53
    created = {
        "HostedZone": listed("Z9"),
        "ChangeInfo": {"Id": "C1", "Status": "PENDING", "SubmittedAt": "2026-01-01T00:00:00Z"},
        "DelegationSet": {"NameServers": ["ns-1.awsdns-01.org"]},
        "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z9",
    }
    stub.add_response(
        "create_hosted_zone",
        created,
        {
            "Name": "example.com.",
            "CallerReference": "illustra.webstack-1",
            "HostedZoneConfig": {"Comment": "c", "PrivateZone": False},
        },
    )
    assert r53.create_zone(client, "example.com", "c", "illustra.webstack-1")["DelegationSet"]["NameServers"]


def test_missing_zone_reads_as_none_and_delete_of_a_gone_zone_is_false(route53):
    client, stub = route53
    stub.add_client_error("get_hosted_zone", "NoSuchHostedZone", http_status_code=404)
    assert r53.get_hosted_zone(client, "/hostedzone/Z1") is None
    stub.add_client_error("delete_hosted_zone", "NoSuchHostedZone", http_status_code=404)
    assert r53.delete_zone(client, "Z1") is False


def test_a_zone_with_records_left_is_an_error_not_a_silent_keep(route53):
    client, stub = route53
    stub.add_client_error("delete_hosted_zone", "HostedZoneNotEmpty", http_status_code=400)
    with pytest.raises(AnsibleAWSError, match="delete hosted zone"):
        r53.delete_zone(client, "Z1")
