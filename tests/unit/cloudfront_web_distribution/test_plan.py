"""cloudfront_web_distribution: the desired config, comparison of managed fields only, bucket policy merge."""

import copy

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _bucket_policy as bucket_policy
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudfront as cf

HEADERS = {
    "content_security_policy": "default-src 'self'",
    "hsts_max_age": 63072000,
    "hsts_include_subdomains": True,
    "hsts_preload": False,
    "frame_option": "DENY",
    "referrer_policy": "strict-origin-when-cross-origin",
}


def params(**over):
    p = {
        "name": "illustra-prod-frontend",
        "origin_bucket_name": "b",
        "origin_domain_name": "b.s3.us-east-1.amazonaws.com",
        "api_origin_domain_name": None,
        "api_origin_protocol_policy": "https-only",
        "api_origin_custom_headers": None,
        "api_path_pattern": "/api/*",
        "aliases": [],
        "acm_certificate_arn": None,
        "minimum_protocol_version": "TLSv1.2_2021",
        "web_acl_arn": None,
        "price_class": "PriceClass_100",
        "http_version": "http2and3",
        "default_root_object": "index.html",
        "spa_fallback": False,
    }
    p.update(over)
    return p


def test_secure_defaults():
    config = cf.distribution_config(params(), "OAC1", "RHP1")
    [origin] = config["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == "OAC1" and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https" and behavior["Compress"] is True
    assert behavior["ResponseHeadersPolicyId"] == "RHP1"
    assert config["HttpVersion"] == "http2and3" and config["IsIPV6Enabled"] is True
    # Failure 3: errors are not turned into the app (a WAF block stays 403, an API error stays JSON).
    assert config["CustomErrorResponses"] == {"Quantity": 0, "Items": []}
    assert behavior["FunctionAssociations"] == {"Quantity": 0, "Items": []}
    assert config["CacheBehaviors"] == {"Quantity": 0, "Items": []}
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def test_custom_domain_and_api_origin():
    config = cf.distribution_config(
        params(
            aliases=["example.com"],
            acm_certificate_arn="arn:cert",
            api_origin_domain_name="alb.example",
            api_origin_custom_headers={"X-Origin-Verify": "s3cret"},
            web_acl_arn="arn:acl",
        ),
        "OAC1",
        "RHP1",
    )
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"
    assert config["Aliases"] == {"Quantity": 1, "Items": ["example.com"]}
    api = config["Origins"]["Items"][1]
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api["CustomHeaders"]["Items"] == [{"HeaderName": "X-Origin-Verify", "HeaderValue": "s3cret"}]
    [behavior] = config["CacheBehaviors"]["Items"]
    assert behavior["PathPattern"] == "/api/*" and behavior["CachePolicyId"] == cf.CACHING_DISABLED
    assert "DELETE" in behavior["AllowedMethods"]["Items"]
    assert config["WebACLId"] == "arn:acl"
    assert "s3cret" not in repr(cf.redacted(config))


def test_extra_fields_aws_returns_are_not_differences():
    desired = cf.distribution_config(params(), "OAC1", "RHP1")
    current = copy.deepcopy(desired)
    current["Origins"]["Items"][0]["ConnectionAttempts"] = 3
    current["CacheBehaviors"] = {"Quantity": 0}
    current["Logging"] = {"Enabled": False}
    current["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 0}
    current["DefaultCacheBehavior"]["AllowedMethods"]["Items"] = ["OPTIONS", "HEAD", "GET"]
    assert cf.config_differences(desired, current) == []


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c["DefaultCacheBehavior"].update(ViewerProtocolPolicy="allow-all"), "DefaultCacheBehavior"),
        (lambda c: c["Origins"]["Items"][0].update(OriginAccessControlId=""), "Origins"),
        (lambda c: c.update(HttpVersion="http2"), "HttpVersion"),
        (lambda c: c.update(WebACLId="arn:other"), "WebACLId"),
        # A distribution that still masks errors as the app (the old SPA fallback) is changed.
        (
            lambda c: c.update(
                CustomErrorResponses={
                    "Quantity": 1,
                    "Items": [{"ErrorCode": 403, "ResponsePagePath": "/index.html", "ResponseCode": "200"}],
                }
            ),
            "CustomErrorResponses",
        ),
    ],
)
def test_managed_changes_are_detected(mutate, field):
    desired = cf.distribution_config(params(), "OAC1", "RHP1")
    current = copy.deepcopy(desired)
    mutate(current)
    assert cf.config_differences(desired, current) == [field]


def test_merged_config_keeps_unmanaged_fields():
    desired = cf.distribution_config(params(), "OAC1", "RHP1")
    merged = cf.merged_config(desired, {"CallerReference": "r", "Logging": {"Enabled": True}, "HttpVersion": "http1.1"})
    assert merged["CallerReference"] == "r" and merged["Logging"] == {"Enabled": True}
    assert merged["HttpVersion"] == "http2and3"


def test_response_headers_policy_has_every_security_header():
    config = cf.response_headers_policy_config("n", HEADERS)["SecurityHeadersConfig"]
    assert config["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63072000
    assert config["ContentTypeOptions"] == {"Override": True}
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert config["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert config["ContentSecurityPolicy"]["ContentSecurityPolicy"] == "default-src 'self'"


def test_bucket_policy_merge_replaces_ours_keeps_others():
    other = {"Sid": "DenyInsecureTransport", "Effect": "Deny"}
    stale = cf.oac_statement("b", "arn:old")
    policy = bucket_policy.merged_policy(
        {"Version": "2012-10-17", "Statement": [other, stale]}, [cf.oac_statement("b", "arn:new")]
    )
    assert policy["Statement"][0] == other
    assert policy["Statement"][1]["Condition"] == {"StringEquals": {"AWS:SourceArn": "arn:new"}}
    assert bucket_policy.merged_policy(policy, [], remove_sids=[cf.OAC_STATEMENT_SID])["Statement"] == [other]
    assert bucket_policy.policy_equal(policy, dict(policy, Statement=list(reversed(policy["Statement"]))))


def test_viewer_request_function_is_associated_with_the_default_behavior_only():
    arn = "arn:aws:cloudfront::123456789012:function/illustra-prod-frontend-viewer-request"
    config = cf.distribution_config(params(api_origin_domain_name="alb.example"), "OAC1", "RHP1", arn)
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == {
        "Quantity": 1,
        "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
    }
    [api] = config["CacheBehaviors"]["Items"]
    assert api["FunctionAssociations"] == {"Quantity": 0, "Items": []}  # /api/* is never rewritten


def test_the_old_spa_fallback_is_still_available_on_request():
    config = cf.distribution_config(params(spa_fallback=True), "OAC1", "RHP1")
    errors = config["CustomErrorResponses"]["Items"]
    assert [(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"]) for e in errors] == [
        (403, "200", "/index.html"),
        (404, "200", "/index.html"),
    ]


def test_an_aws_reply_without_function_items_is_no_difference():
    desired = cf.distribution_config(params(), "OAC1", "RHP1")
    current = copy.deepcopy(desired)
    current["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 0}
    current["CustomErrorResponses"] = {"Quantity": 0}
    assert cf.config_differences(desired, current) == []


def test_a_missing_or_other_function_association_is_a_difference():
    arn = "arn:aws:cloudfront::123456789012:function/f"
    desired = cf.distribution_config(params(), "OAC1", "RHP1", arn)
    current = copy.deepcopy(desired)
    current["DefaultCacheBehavior"]["FunctionAssociations"] = {"Quantity": 0}
    assert cf.config_differences(desired, current) == ["DefaultCacheBehavior"]
    current["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"FunctionARN": arn + "-old", "EventType": "viewer-request"}],
    }
    assert cf.config_differences(desired, current) == ["DefaultCacheBehavior"]
