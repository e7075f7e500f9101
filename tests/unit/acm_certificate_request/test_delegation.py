"""The delegation check: parsing resolvers, deciding, explaining, and asking a DNS server on loopback."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _dns_delegation as delegation
from dns_stub import DnsStub

ZONE_NS = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net", "ns-3.awsdns-03.com", "ns-4.awsdns-04.co.uk"]


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ([], []),
        (["192.0.2.1"], [("192.0.2.1", 53)]),
        (["127.0.0.1:5353", "192.0.2.2"], [("127.0.0.1", 5353), ("192.0.2.2", 53)]),
        (["[2001:db8::1]:5353", "2001:db8::2"], [("2001:db8::1", 5353), ("2001:db8::2", 53)]),
    ],
)
def test_parse_resolvers(given, parsed):
    assert delegation.parse_resolvers(given) == parsed


@pytest.mark.parametrize("bad", ["127.0.0.1:0", "127.0.0.1:dns", ":53", "127.0.0.1:70000"])
def test_parse_resolvers_names_the_bad_entry(bad):
    with pytest.raises(ValueError, match=bad.replace("[", r"\[")):
        delegation.parse_resolvers([bad])


@pytest.mark.parametrize(
    ("public", "delegated"),
    [
        (ZONE_NS, True),
        ([n.upper() + "." for n in ZONE_NS], True),  # DNS names compare without case or trailing dot
        (ZONE_NS[:2], True),  # the registrar names two of the four: DNS still only reaches the zone
        ([], False),  # NXDOMAIN or no NS: not delegated anywhere
        (["ns1.registrar-parking.example."], False),  # delegated elsewhere
        ([*ZONE_NS, "ns1.old-provider.example."], False),  # some resolvers would reach the old provider
    ],
)
def test_is_delegated(public, delegated):
    assert delegation.is_delegated(ZONE_NS, public) is delegated


def test_instruction_says_what_dns_said_and_what_to_set():
    text = delegation.instruction("example.com.", "Z1", ZONE_NS, ([], "NXDOMAIN"), "127.0.0.1:53")
    assert "example.com (Z1) is not delegated" in text
    assert "(127.0.0.1:53) has no NS records for it (NXDOMAIN)" in text
    assert "PENDING_VALIDATION" in text and "registrar" in text
    for name in ZONE_NS:
        assert f"  {name}.\n" in text + "\n"
    elsewhere = delegation.instruction("example.com", "Z1", ZONE_NS, (["ns1.parking.example."], ""), "x")
    assert "answers NS ['ns1.parking.example.']" in elsewhere


def test_public_name_servers_asks_the_given_resolver():
    with DnsStub() as dns:
        dns.ns["example.com."] = ["ns-2.awsdns-02.net.", "ns-1.awsdns-01.org."]
        dns.ns["exists-without-ns.example.com."] = []
        resolvers = delegation.parse_resolvers([dns.address])
        assert delegation.public_name_servers("Example.com", resolvers) == (
            ["ns-1.awsdns-01.org.", "ns-2.awsdns-02.net."],
            "",
        )
        assert delegation.public_name_servers("missing.example.org", resolvers) == ([], "NXDOMAIN")
        assert delegation.public_name_servers("exists-without-ns.example.com", resolvers) == ([], "no NS answer")
        assert ("example.com.", "NS") in dns.queries


def test_a_resolver_that_never_answers_is_unknown_not_undelegated():
    with DnsStub() as dns:
        dns.silent = True
        with pytest.raises(delegation.DelegationLookupError):
            delegation.public_name_servers("example.com", delegation.parse_resolvers([dns.address]), lifetime=0.5)
