"""The edge stand-ins' pure planning: distribution -> nginx model, web ACL -> WAF, Route 53 -> resolve entries.

The fixtures are the staging and prod distributions, the prod web ACL and the prod zone's records as
the emulator stores them after `site.yml` (the origin-verify secret replaced).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from dataplane import edge_cloudfront as cf
from dataplane import edge_dns, edge_waf

FIXTURES = json.loads((Path(__file__).with_name("edge_fixtures.json")).read_text())
CERTS = {"aliases": {"cert": "/a.crt", "key": "/a.key"}, "default": {"cert": "/d.crt", "key": "/d.key"}}
RHP = {
    "Name": "illustra-prod-frontend-security-headers",
    "SecurityHeadersConfig": {
        "XSSProtection": {"Override": True, "Protection": True, "ModeBlock": True},
        "FrameOptions": {"Override": True, "FrameOption": "DENY"},
        "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
        "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "default-src 'self'"},
        "ContentTypeOptions": {"Override": True},
        "StrictTransportSecurity": {
            "Override": True,
            "IncludeSubdomains": True,
            "Preload": False,
            "AccessControlMaxAgeSec": 63072000,
        },
    },
}


def _origins(distribution):
    origins = {}
    for n, item in enumerate(distribution["DistributionConfig"]["Origins"]["Items"]):
        kind = "s3" if "S3OriginConfig" in item else "custom"
        origins[item["Id"]] = cf.Origin(
            id=item["Id"],
            kind=kind,
            upstream=f"u{n}",
            servers=["127.0.0.1:1"],
            scheme="http",
            host=item["DomainName"],
            path="",
        )
    return origins


def _build(env, **changes):
    distribution = copy.deepcopy(FIXTURES[env])
    distribution["DistributionConfig"].update(changes)
    config = distribution["DistributionConfig"]
    policies = {config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]: RHP}
    return cf.build(distribution, origins=_origins(distribution), header_policies=policies, certificates=CERTS)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/*", "/api/health", True),
        ("/api/*", "/api/", True),
        ("/api/*", "/api", False),
        ("/api/*", "/apix/health", False),
        ("/api/*", "/API/health", False),  # case-sensitive, as CloudFront's path patterns are
        ("images/*.jpg", "/images/a/b.jpg", True),
        ("/img?.png", "/img1.png", True),
        ("/img?.png", "/img12.png", False),
        ("/a.b", "/axb", False),  # a dot is a dot
    ],
)
def test_path_patterns_match_as_cloudfront_documents(pattern, path, matches):
    regex = cf.path_pattern_regex(pattern)
    assert regex.startswith('"^') and regex.endswith('$"')
    assert bool(re.fullmatch(regex[2:-2], path)) is matches


def test_behaviours_keep_their_order_and_the_default_comes_last():
    model = _build("prod")
    assert [(b.pattern, b.origin.id) for b in model["behaviours"]] == [
        ("/api/*", "api"),
        (None, "s3-illustra-prod-frontend"),
    ]
    api, default = model["behaviours"]
    assert api.methods == ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    assert default.methods == ["GET", "HEAD", "OPTIONS"]
    # CachingDisabled + AllViewerExceptHostHeader: the API gets the query string and the viewer's headers, not Host.
    assert (api.forward_query, api.forward_headers) == (True, "all-except-host")
    # CachingOptimized alone: S3 gets neither.
    assert (default.forward_query, default.forward_headers) == (False, "none")
    assert model["default_root_object"] == "index.html"


def test_tls_servers_follow_the_viewer_certificate():
    prod = _build("prod")
    aliases, own = prod["servers"]
    assert aliases["names"] == ["illustra-demo.example.com", "www.illustra-demo.example.com"]
    assert aliases["protocols"] == "TLSv1.2 TLSv1.3" and aliases["cert"] == "/a.crt"
    assert "ECDHE-RSA-AES128-SHA:" not in aliases["ciphers"]  # TLSv1.2_2021 has no CBC ciphers
    # The distribution's own *.cloudfront.net name keeps the default certificate and its TLSv1 policy.
    assert own["names"] == [FIXTURES["prod"]["DomainName"]] and own["cert"] == "/d.crt"
    assert own["protocols"].startswith("TLSv1 ")
    staging = _build("staging")
    assert [s["names"] for s in staging["servers"]] == [[FIXTURES["staging"]["DomainName"]]]


def test_aliases_without_an_acm_certificate_are_refused():
    with pytest.raises(cf.EdgeConfigError, match="ACM certificate"):
        _build("prod", ViewerCertificate={"CloudFrontDefaultCertificate": True})


def test_custom_error_responses_use_the_behaviour_of_their_page():
    model = _build("prod")
    assert [(e["code"], e["response_code"], e["path"], e["behaviour"].pattern) for e in model["errors"]] == [
        (403, "200", "/index.html", None),
        (404, "200", "/index.html", None),
    ]
    errors = {"Quantity": 1, "Items": [{"ErrorCode": 502, "ResponsePagePath": "/api/down", "ResponseCode": ""}]}
    model = _build("prod", CustomErrorResponses=errors)
    assert [(e["code"], e["response_code"], e["behaviour"].pattern) for e in model["errors"]] == [(502, "", "/api/*")]
    # An error response without a page only sets how long the error is cached: nothing to serve.
    ttl_only = {"Quantity": 1, "Items": [{"ErrorCode": 404, "ErrorCachingMinTTL": 10}]}
    assert _build("prod", CustomErrorResponses=ttl_only)["errors"] == []


def test_response_headers_policy_becomes_headers():
    rules, removed = cf.response_headers(RHP, "k")
    assert {r.name: (r.value, r.override) for r in rules} == {
        "Strict-Transport-Security": ("max-age=63072000; includeSubDomains", True),
        "X-Content-Type-Options": ("nosniff", True),
        "X-Frame-Options": ("DENY", True),
        "Referrer-Policy": ("strict-origin-when-cross-origin", True),
        "Content-Security-Policy": ("default-src 'self'", True),
        "X-XSS-Protection": ("1; mode=block", True),
    }
    assert removed == []
    # Override false: the header only when the origin sent none (an nginx map on the upstream's header).
    managed = cf.MANAGED_RESPONSE_HEADERS_POLICIES["67f7725c-6f97-4210-82d7-5512b31e9d03"]
    rules, _ = cf.response_headers(managed, "m")
    frame = next(r for r in rules if r.name == "X-Frame-Options")
    assert (frame.value, frame.override, frame.variable) == ("SAMEORIGIN", False, "$webstack_rhp_m_x_frame_options")
    custom = {"CustomHeadersConfig": {"Items": [{"Header": "X-Env", "Value": "prod", "Override": True}]}}
    custom["RemoveHeadersConfig"] = {"Items": [{"Header": "Server"}]}
    rules, removed = cf.response_headers(custom, "c")
    assert [(r.name, r.value) for r in rules] == [("X-Env", "prod")] and removed == ["Server"]


def test_overridden_headers_are_hidden_from_the_origin():
    default = _build("prod")["behaviours"][-1]
    assert "Strict-Transport-Security" in default.hidden_headers
    assert "X-Frame-Options" in default.hidden_headers


def test_unknown_policies_and_lambda_at_edge_are_refused():
    distribution = copy.deepcopy(FIXTURES["prod"])
    policies = {distribution["DistributionConfig"]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]: RHP}
    distribution["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"] = "00000000-custom"
    with pytest.raises(cf.EdgeConfigError, match="cache policy 00000000-custom"):
        cf.build(distribution, origins=_origins(distribution), header_policies=policies, certificates=CERTS)
    distribution = copy.deepcopy(FIXTURES["prod"])
    with pytest.raises(cf.EdgeConfigError, match="response headers policy"):
        cf.build(distribution, origins=_origins(distribution), header_policies={}, certificates=CERTS)
    distribution = copy.deepcopy(FIXTURES["prod"])
    distribution["DistributionConfig"]["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f:1", "EventType": "origin-request"}],
    }
    with pytest.raises(cf.EdgeConfigError, match="Lambda@Edge"):
        cf.build(distribution, origins=_origins(distribution), header_policies=policies, certificates=CERTS)


def test_function_associations_name_the_function_per_event():
    associations = {
        "Quantity": 1,
        "Items": [
            {"FunctionARN": "arn:aws:cloudfront::123456789012:function/spa-routing", "EventType": "viewer-request"}
        ],
    }
    distribution = copy.deepcopy(FIXTURES["prod"])
    distribution["DistributionConfig"]["DefaultCacheBehavior"]["FunctionAssociations"] = associations
    policies = {distribution["DistributionConfig"]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]: RHP}
    model = cf.build(distribution, origins=_origins(distribution), header_policies=policies, certificates=CERTS)
    assert [(b.viewer_request, b.viewer_response) for b in model["behaviours"]] == [("", ""), ("spa-routing", "")]


def test_function_module_wraps_each_function_and_refuses_imports():
    module = cf.function_module({"spa": "function handler(event) { return event.request; }"})
    assert "function fn_spa() {" in module and "return handler;" in module
    assert '"spa": fn_spa(),' in module and module.rstrip().endswith("};")
    with pytest.raises(cf.EdgeConfigError, match="KeyValueStore"):
        cf.function_module({"kvs": "import cf from 'cloudfront';\nfunction handler(e) { return e.request; }"})


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("illustra-prod-frontend.s3.us-east-1.amazonaws.com", ("illustra-prod-frontend", "us-east-1")),
        ("b.s3.amazonaws.com", ("b", "us-east-1")),
        ("b.s3-eu-west-1.amazonaws.com", ("b", "eu-west-1")),
        ("b.s3-website-us-east-1.amazonaws.com", None),  # a website endpoint is a custom origin
        ("api.example.com", None),
    ],
)
def test_s3_origins_are_recognised_by_their_rest_endpoint(domain, expected):
    assert cf.s3_origin_bucket(domain) == expected


def test_web_acl_maps_to_crs_and_a_rate_limit():
    waf = edge_waf.model(FIXTURES["prod_web_acl"])
    assert waf["crs"] is True and waf["engine"] == "On"
    assert [(r["rule"], r["limit"], r["window"], r["key"], r["dry_run"]) for r in waf["rates"]] == [
        ("rate-limit-per-ip", 2000, 300, "ip", False)
    ]
    assert waf["not_modelled"] == ["AWSManagedRulesAmazonIpReputationList"]
    assert any("AWSManagedRulesSQLiRuleSet" in line for line in waf["modelled"])
    (zone,) = edge_waf.rate_zones(waf)
    assert (zone["zone"], zone["key"], zone["per_minute"], zone["burst"], zone["maps"]) == (
        "waf_illustra_prod_cloudfront_0",
        "$binary_remote_addr",
        400,
        1999,  # nginx passes one at the rate plus the burst: 2000 in a row
        [],
    )


def _rate_rule(name, statement):
    return {"Name": name, "Priority": 9, "Statement": {"RateBasedStatement": statement}, "Action": {"Block": {}}}


HEADER_ABSENT = {
    "NotStatement": {
        "Statement": {
            "SizeConstraintStatement": {
                "FieldToMatch": {"SingleHeader": {"Name": "x-forwarded-for"}},
                "ComparisonOperator": "GT",
                "Size": 0,
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        }
    }
}


def test_forwarded_ip_rate_rules_behind_cloudfront():
    """The load balancer's ACL behind CloudFront: the viewer's address from X-Forwarded-For, and the connection's
    address only for requests without the header."""
    acl = copy.deepcopy(FIXTURES["prod_web_acl"])
    acl["Rules"] = [r for r in acl["Rules"] if "RateBasedStatement" not in r["Statement"]] + [
        _rate_rule(
            "rate-limit-per-forwarded-ip",
            {
                "Limit": 2000,
                "AggregateKeyType": "FORWARDED_IP",
                "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"},
            },
        ),
        _rate_rule("rate-limit-per-ip", {"Limit": 2000, "AggregateKeyType": "IP", "ScopeDownStatement": HEADER_ABSENT}),
    ]
    waf = edge_waf.model(acl)
    assert [(r["key"], r["header"], r["unless_header"]) for r in waf["rates"]] == [
        ("forwarded", "X-Forwarded-For", None),
        ("ip", None, "x-forwarded-for"),
    ]
    forwarded, direct = edge_waf.rate_zones(waf)
    assert forwarded["key"] == "$waf_illustra_prod_cloudfront_0_key" and forwarded["invalid_blocks"] is True
    (mapping,) = forwarded["maps"]
    assert mapping["source"] == "$http_x_forwarded_for" and mapping["cases"][0] == ('""', '""')
    assert direct["key"] == "$waf_illustra_prod_cloudfront_1_scoped"
    assert direct["maps"] == [
        {
            "source": "$http_x_forwarded_for",
            "target": direct["key"],
            "cases": [('""', "$binary_remote_addr")],
            "default": '""',
        }
    ]
    # Other scope-downs and fallbacks are listed as not modelled rather than guessed.
    acl["Rules"][-1]["Statement"]["RateBasedStatement"]["ScopeDownStatement"] = {"ByteMatchStatement": {}}
    acl["Rules"][-2]["Statement"]["RateBasedStatement"]["ForwardedIPConfig"]["FallbackBehavior"] = "NO_MATCH"
    waf = edge_waf.model(acl)
    assert waf["rates"] == [] and {"rate-limit-per-ip", "rate-limit-per-forwarded-ip"} <= set(waf["not_modelled"])


def test_count_mode_detects_only_and_no_common_rule_set_means_no_modsecurity():
    acl = copy.deepcopy(FIXTURES["prod_web_acl"])
    for rule in acl["Rules"]:
        if "OverrideAction" in rule:
            rule["OverrideAction"] = {"Count": {}}
        else:
            rule["Action"] = {"Count": {}}
    waf = edge_waf.model(acl)
    assert waf["engine"] == "DetectionOnly" and waf["rates"][0]["dry_run"] is True
    acl["Rules"] = [r for r in acl["Rules"] if "CommonRuleSet" not in r["Name"]]
    waf = edge_waf.model(acl)
    assert waf["crs"] is False
    assert "AWSManagedRulesSQLiRuleSet" in waf["not_modelled"]  # CRS stands in for it only alongside the common set
    assert edge_waf.model(None) is None


def test_modsecurity_rules_include_crs_and_aws_documented_limits():
    text = edge_waf.modsecurity_conf(edge_waf.model(FIXTURES["prod_web_acl"]), "/d")
    assert "SecRuleEngine On" in text
    assert "Include /usr/share/modsecurity-crs/rules/*.conf" in text
    for rule in ("NoUserAgent_HEADER", "SizeRestrictions_QUERYSTRING", "SizeRestrictions_BODY"):
        assert rule in text


def test_route53_records_point_at_the_stand_ins():
    domain = FIXTURES["prod"]["DomainName"]
    served = {
        domain: ("127.0.3.20", [80, 443]),
        "illustra-prod-1.us-east-1.elb.amazonaws.com": ("127.0.3.11", [80, 443]),
    }
    entries = edge_dns.entries(FIXTURES["prod_records"], served)
    assert set(entries) == {
        f"{domain}:80:127.0.3.20",
        f"{domain}:443:127.0.3.20",
        "illustra-demo.example.com:80:127.0.3.20",
        "illustra-demo.example.com:443:127.0.3.20",
        "www.illustra-demo.example.com:80:127.0.3.20",
        "www.illustra-demo.example.com:443:127.0.3.20",
        "api.illustra-demo.example.com:80:127.0.3.11",
        "api.illustra-demo.example.com:443:127.0.3.11",
        "illustra-prod-1.us-east-1.elb.amazonaws.com:80:127.0.3.11",
        "illustra-prod-1.us-east-1.elb.amazonaws.com:443:127.0.3.11",
    }
    # The ACM validation CNAME, NS and SOA point outside the data plane: no entry.
    assert not any(e.startswith("_") for e in entries)


def test_cname_chains_are_followed_and_dualstack_aliases_match():
    records = [
        {"Name": "shop.example.com.", "Type": "CNAME", "ResourceRecords": [{"Value": "www.example.com"}]},
        {"Name": "www.example.com.", "Type": "A", "AliasTarget": {"DNSName": "dualstack.lb-1.elb.amazonaws.com."}},
        {"Name": "elsewhere.example.com.", "Type": "A", "ResourceRecords": [{"Value": "192.0.2.1"}]},
        {"Name": "\\052.example.com.", "Type": "A", "AliasTarget": {"DNSName": "lb-1.elb.amazonaws.com."}},
    ]
    entries = edge_dns.entries(records, {"lb-1.elb.amazonaws.com": ("127.0.2.10", [80])})
    assert entries == [
        "lb-1.elb.amazonaws.com:80:127.0.2.10",
        "shop.example.com:80:127.0.2.10",
        "www.example.com:80:127.0.2.10",
    ]


def test_merge_replaces_the_entries_of_the_same_host_and_port():
    existing = ["lb:80:127.0.2.10", "lb:443:127.0.2.10", "other:80:127.0.9.9"]
    merged = edge_dns.merge(existing, ["lb:80:127.0.2.11", "new:443:127.0.2.20"])
    assert merged == ["lb:443:127.0.2.10", "other:80:127.0.9.9", "lb:80:127.0.2.11", "new:443:127.0.2.20"]
