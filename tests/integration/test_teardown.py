"""Teardown of a whole environment (issue 17, failures 4 and 13).

- A full prod converge (site.yml), then teardown.yml with its confirmation: the site's records go first, the
  certificates (once CloudFront and the ALB have released them, which the emulator makes lag as AWS does)
  with their validation records, the hosted zone last. Nothing tagged, and nothing of the stack, is left.
- A zone the user brought (it existed before the first run) is used as it is: never re-tagged, never deleted;
  the teardown removes only our records from it and the user's own records survive.
"""

from __future__ import annotations

import boto3
import pytest
import webstack_test as wt
from stack_inventory import stack_inventory

pytestmark = pytest.mark.integration

DOMAIN = "illustra-demo.example.com"
CONFIRM = {"teardown_confirm": "DESTROY-PROD"}


def site(tags=None):
    return wt.run_playbook("playbooks/site.yml", "inventories/prod", {"webstack_confirm": "prod"}, tags=tags)


def teardown(extra=None):
    return wt.run_playbook("playbooks/teardown.yml", "inventories/prod", {**CONFIRM, **(extra or {})})


def records(zone_id):
    route53 = boto3.client("route53")
    return sorted(
        (r["Name"], r["Type"])
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
        for r in page["ResourceRecordSets"]
    )


def test_prod_teardown_removes_a_full_converge(clean_emulator):
    up = site()
    assert up.rc == 0, up.summary()
    assert stack_inventory("illustra", "prod")["certificates"] == 1

    refused = wt.run_playbook("playbooks/teardown.yml", "inventories/prod")
    assert refused.rc != 0 and any("DESTROY-PROD" in m for m in refused.failure_messages())
    assert stack_inventory("illustra", "prod")["distributions"] == 1, "an unconfirmed prod teardown removed something"

    down = teardown({"teardown_delete_backups": True})
    assert down.rc == 0, down.summary()
    assert wt.tagged_resources("illustra", "prod") == []
    left = {kind: count for kind, count in stack_inventory("illustra", "prod").items() if count}
    assert left == {}, left
    # Nothing untagged either: no certificate, no zone (stack_inventory counts every one of them).

    again = teardown({"teardown_delete_backups": True})
    assert again.rc == 0 and again.changed == 0, again.summary()


def test_the_users_own_zone_survives_with_its_records(clean_emulator):
    route53 = boto3.client("route53")
    zone = route53.create_hosted_zone(Name=DOMAIN, CallerReference="the-users-own-zone")["HostedZone"]
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone["Id"].split("/")[-1], AddTags=[{"Key": "Owner", "Value": "dns-team"}]
    )
    own = [
        {"Name": f"{DOMAIN}.", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mail.example.net."}]},
        {"Name": f"{DOMAIN}.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"v=spf1 -all"'}]},
        {
            "Name": f"status.{DOMAIN}.",
            "Type": "CNAME",
            "TTL": 300,
            "ResourceRecords": [{"Value": "status.example.net."}],
        },
    ]
    route53.change_resource_record_sets(
        HostedZoneId=zone["Id"], ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in own]}
    )
    before = records(zone["Id"])

    up = site(tags="frontend")
    assert up.rc == 0, up.summary()
    (only,) = route53.list_hosted_zones()["HostedZones"]
    assert only["Id"] == zone["Id"], "the run made a zone of its own beside the user's"
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone["Id"].split("/")[-1])
    assert tags["ResourceTagSet"]["Tags"] == [{"Key": "Owner", "Value": "dns-team"}], "the user's zone was re-tagged"
    ours = set(records(zone["Id"])) - set(before)
    assert {(f"{DOMAIN}.", "A"), (f"www.{DOMAIN}.", "AAAA")} <= ours
    assert any(name.startswith("_") and kind == "CNAME" for name, kind in ours), "no validation record"

    down = teardown()
    assert down.rc == 0, down.summary()
    assert records(zone["Id"]) == before, "the teardown left records of ours or took the user's"
    assert wt.tagged_resources("illustra", "prod") == []
    assert boto3.client("acm").list_certificates()["CertificateSummaryList"] == []
