"""acm_certificate_request: pure functions (names, matching, validation records)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _acm as acm

RR = {"Name": "_x.example.com.", "Type": "CNAME", "Value": "_y.acm-validations.aws."}


def test_wanted_names_keeps_order_and_drops_duplicates():
    assert acm.wanted_names("example.com", ["*.example.com", "example.com"]) == ["example.com", "*.example.com"]


@pytest.mark.parametrize(
    ("summary", "tags", "expected"),
    [
        (
            {"DomainName": "example.com", "SubjectAlternativeNameSummaries": ["example.com", "*.example.com"]},
            {"Name": "n"},
            True,
        ),
        ({"DomainName": "example.com"}, {"Name": "n"}, True),
        ({"DomainName": "example.com"}, {"Name": "other"}, False),
        ({"DomainName": "other.com"}, {"Name": "n"}, False),
        ({"DomainName": "example.com", "SubjectAlternativeNameSummaries": ["example.com"]}, {"Name": "n"}, False),
    ],
)
def test_matches(summary, tags, expected):
    assert acm.matches(summary, tags, "example.com", ["*.example.com"], "n") is expected


def test_validation_records_deduplicate_apex_and_wildcard():
    certificate = {
        "DomainValidationOptions": [
            {"DomainName": "example.com", "ResourceRecord": RR},
            {"DomainName": "*.example.com", "ResourceRecord": RR},
        ]
    }
    assert acm.validation_records(certificate) == [
        {"Name": RR["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": RR["Value"]}]}
    ]
    assert acm.records_complete(certificate, ["example.com", "*.example.com"])


def test_records_incomplete_while_acm_prepares_them():
    certificate = {
        "DomainValidationOptions": [
            {"DomainName": "example.com", "ResourceRecord": RR},
            {"DomainName": "*.example.com"},
        ]
    }
    assert not acm.records_complete(certificate, ["example.com", "*.example.com"])
