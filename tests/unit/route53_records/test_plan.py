"""route53_records: pure planning of the change batch."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53

CF = {"dns_name": "d1.cloudfront.net", "hosted_zone_id": "Z2FDTNDATAQYW2"}


def alias_set(name, kind="A", target="d1.cloudfront.net."):
    return {
        "Name": name,
        "Type": kind,
        "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": target, "EvaluateTargetHealth": False},
    }


@pytest.mark.parametrize(("name", "expected"), [("Example.com", "example.com."), ("a.example.com.", "a.example.com.")])
def test_fqdn(name, expected):
    assert r53.fqdn(name) == expected


def test_desired_alias_and_plain_records():
    assert r53.desired_record_set({"name": "example.com", "type": "A", "alias": CF}) == alias_set("example.com.")
    plain = r53.desired_record_set({"name": "x.example.com", "type": "TXT", "ttl": 60, "values": ['"v"']})
    assert plain == {"Name": "x.example.com.", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"v"'}]}


@pytest.mark.parametrize(
    ("current", "expected_actions"),
    [
        ([], ["UPSERT"]),
        ([alias_set("example.com.")], []),
        ([alias_set("EXAMPLE.com.", target="D1.cloudfront.net")], []),
        ([alias_set("example.com.", target="d2.cloudfront.net.")], ["UPSERT"]),
        ([alias_set("example.com.", kind="AAAA")], ["UPSERT"]),
    ],
)
def test_plan_present(current, expected_actions):
    desired = [r53.desired_record_set({"name": "example.com", "type": "A", "alias": CF})]
    assert [c["Action"] for c in r53.plan_changes(desired, current)] == expected_actions


def test_plan_absent_deletes_current_value_and_ignores_missing():
    current = [alias_set("example.com.", target="old.cloudfront.net.")]
    desired = [
        r53.desired_record_set({"name": n, "type": "A", "alias": CF}) for n in ("example.com", "www.example.com")
    ]
    changes = r53.plan_changes(desired, current, "absent")
    assert changes == [{"Action": "DELETE", "ResourceRecordSet": current[0]}]


def test_plain_values_compare_unordered():
    current = [{"Name": "x.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "b"}, {"Value": "a"}]}]
    desired = [{"Name": "x.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "a"}, {"Value": "b"}]}]
    assert r53.plan_changes(desired, current) == []
