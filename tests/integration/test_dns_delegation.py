"""A new hosted zone is useless until the domain is delegated to it (issue 17, failure 7).

The acm role against the emulator, with "public DNS" played by a DNS server this test starts on loopback
(acm_dns_resolvers points at it): while DNS does not name the zone's name servers, the run stops at once
with the name servers to set at the registrar, instead of waiting for a certificate that cannot issue;
once DNS names them, the certificate issues. A zone the run creates has its name servers printed.

The emulator's ACM reads the emulator's own public DNS (every public zone delegated), not this test's:
each case therefore starts from an empty emulator, so that its certificate is new and still pending.
"""

from __future__ import annotations

import time

import boto3
import pytest
import webstack_test as wt
from dns_stub import DnsStub

pytestmark = pytest.mark.integration

DOMAIN = "illustra-demo.example.com"
PLAY = """
- name: The certificates of the custom domain
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the acm role
      ansible.builtin.include_role:
        name: illustra.webstack.acm
"""
NS_TASK = "illustra.webstack.acm : Show the name servers to set at the registrar for the new hosted zone"


def run_acm(tmp_path, resolver, check=False, **extra):
    playbook = tmp_path / "acm.yml"
    playbook.write_text(PLAY)
    extra = {"acm_regions": ["us-east-1"], "acm_dns_resolvers": [resolver], **extra}
    started = time.monotonic()
    run = wt.run_playbook(str(playbook), "inventories/prod", extra, check=check)
    return run, time.monotonic() - started


def certificate():
    acm = boto3.client("acm", region_name="us-east-1")
    (summary,) = acm.list_certificates()["CertificateSummaryList"]
    return acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]


def the_zone():
    """The domain's zone and its name servers, absolute ([] until the run created it)."""
    route53 = boto3.client("route53")
    zones = route53.list_hosted_zones()["HostedZones"]
    if not zones:
        return None, []
    (zone,) = zones
    return zone, [n + "." for n in route53.get_hosted_zone(Id=zone["Id"])["DelegationSet"]["NameServers"]]


def test_an_undelegated_zone_stops_the_run_with_the_name_servers_to_set(clean_emulator, tmp_path):
    with DnsStub() as dns:
        # Not delegated anywhere yet: public DNS answers NXDOMAIN.
        first, seconds = run_acm(tmp_path, dns.address)
        assert first.rc != 0, first.summary()
        zone, name_servers = the_zone()
        printed = first.result(NS_TASK)["msg"]
        assert all(n.rstrip(".") in printed for n in name_servers), printed
        (message,) = [m for m in first.failure_messages() if "not delegated" in m]
        assert f"({dns.address}) has no NS records for it (NXDOMAIN)" in message
        assert all(f"  {n}" in message for n in name_servers), message
        assert (f"{DOMAIN}.", "NS") in dns.queries
        # It stopped instead of waiting (acm_wait_timeout is 900 s), with everything ready for the delegation:
        # the certificate requested, its validation record in the zone.
        assert seconds < 300, seconds
        validation = {o["ResourceRecord"]["Name"] for o in certificate()["DomainValidationOptions"]}
        records = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        assert validation <= {r["Name"] for r in records if r["Type"] == "CNAME"}

        # Delegated to the zone the run creates: the run proceeds and the certificate issues.
        wt.reset_emulator(clean_emulator)
        dns.ns[f"{DOMAIN}."] = lambda: the_zone()[1]
        asked = len(dns.queries)
        delegated, _ = run_acm(tmp_path, dns.address)
        assert delegated.rc == 0, delegated.summary()
        assert len(dns.queries) > asked
        assert certificate()["Status"] == "ISSUED"

        # Issued: a rerun and --check change nothing, and ask DNS nothing.
        asked = len(dns.queries)
        again, _ = run_acm(tmp_path, dns.address)
        assert again.rc == 0 and again.changed == 0, again.summary()
        assert again.result(NS_TASK).get("skipped"), "the zone exists: nothing new to delegate"
        check, _ = run_acm(tmp_path, dns.address, check=True)
        assert check.rc == 0 and check.changed == 0, check.summary()
        assert len(dns.queries) == asked


def test_a_resolver_that_does_not_answer_stops_the_run_unless_the_delegation_is_stated(clean_emulator, tmp_path):
    with DnsStub() as dns:
        dns.silent = True
        stuck, _ = run_acm(tmp_path, dns.address)
        assert stuck.rc != 0, stuck.summary()
        assert any("Could not ask DNS" in m and "delegation_check=false" in m for m in stuck.failure_messages())

        # The user states that the delegation is done (this machine cannot reach public DNS): DNS is not asked.
        wt.reset_emulator(clean_emulator)
        asked = len(dns.queries)
        stated, _ = run_acm(tmp_path, dns.address, acm_delegation_check=False)
        assert stated.rc == 0, stated.summary()
        assert len(dns.queries) == asked
        assert certificate()["Status"] == "ISSUED"
