"""route53_hosted_zone: which zone is ours, which to use, what blocks its deletion (pure functions)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53

OURS = {"Project": "illustra", "Environment": "prod", "ManagedBy": "illustra.webstack"}


def zone(zone_id, private=False, caller_reference="user-console"):
    return {
        "Id": f"/hostedzone/{zone_id}",
        "Name": "example.com.",
        "CallerReference": caller_reference,
        "Config": {"PrivateZone": private},
    }


@pytest.mark.parametrize(
    ("zone_tags", "caller_reference", "owned"),
    [
        (OURS, "user-console", True),
        ({**OURS, "Team": "web"}, "user-console", True),  # extra tags do not matter
        ({**OURS, "Environment": "staging"}, "user-console", False),  # another environment's zone
        ({"ManagedBy": "illustra.webstack"}, "user-console", False),  # project and environment unknown
        ({}, "user-console", False),  # the user's untagged zone
        ({}, r53.CALLER_REFERENCE_PREFIX + "abc", True),  # ours, created by a run stopped before tagging
        ({"Owner": "dns-team"}, r53.CALLER_REFERENCE_PREFIX + "abc", False),  # tagged since by someone else
    ],
)
def test_owns(zone_tags, caller_reference, owned):
    assert r53.owns(zone("Z1", caller_reference=caller_reference), zone_tags, {**OURS, "Name": "x"}) is owned


def test_pick_prefers_our_zone_then_the_first_public_one():
    zones = [zone("ZPRIV", private=True), zone("ZUSER"), zone("ZOURS")]
    assert r53.pick_zone(zones, {"ZOURS": OURS}, OURS) == (zones[2], True)
    assert r53.pick_zone(zones, {"ZPRIV": OURS}, OURS) == (zones[1], False)  # a private zone is never used
    assert r53.pick_zone([zone("ZPRIV", private=True)], {}, OURS) == (None, False)
    assert r53.pick_zone([], {}, OURS) == (None, False)


@pytest.mark.parametrize(
    ("name", "inside"),
    [("example.com", True), ("api.Example.com.", True), ("badexample.com", False), ("com", False)],
)
def test_within_zone(name, inside):
    assert r53.within_zone(name, "example.com.") is inside


def test_leftover_records_are_all_but_the_apex_ns_and_soa():
    records = [
        {"Name": "example.com.", "Type": "NS"},
        {"Name": "example.com.", "Type": "SOA"},
        {"Name": "sub.example.com.", "Type": "NS"},  # a delegation of the user's: it blocks the deletion
        {"Name": "_x.example.com.", "Type": "CNAME"},
    ]
    assert r53.leftover_records(records, "example.com") == records[2:]
