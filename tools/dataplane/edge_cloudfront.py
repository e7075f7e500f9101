"""The CloudFront stand-in's model: a distribution, as the emulator stores it, turned into what nginx serves.

Pure functions, no AWS call: `edge.py` reads the emulator (the distribution config, its response
headers policies, the code of its functions, its OAC) and passes them in; the nginx template
(templates/edge-nginx.conf.j2) renders the result. What is modelled, after AWS's documentation of
each field (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html):

- Aliases and ViewerCertificate: one TLS server for the aliases with the ACM certificate's names and
  the security policy's protocols and ciphers, one for the distribution's own *.cloudfront.net name
  with the default certificate (whose policy AWS fixes at TLSv1);
- the viewer protocol policy of each behaviour on plain HTTP (301 to HTTPS, 403, or served);
- the cache behaviours in order, each path pattern (`*` and `?` wildcards, case-sensitive) to its
  origin, with the allowed methods (others get 403) and what the cache and origin request policies
  forward (query string, viewer headers, Host);
- S3 origins: requests signed with SigV4 when an origin access control says so (OAC), anonymous
  otherwise; custom origins: the protocol policy, ports, TLS protocols, timeouts, custom headers;
- the default root object, the custom error responses (which, as on AWS, also replace the WAF's 403),
  and the response headers policy's headers (override or not, removed headers);
- viewer-request and viewer-response CloudFront Functions, run in nginx's njs.

Not modelled: caching (every request goes to the origin; `X-Cache` says Miss), origin groups and
failover, Lambda@Edge, field-level encryption, geo restriction, signed URLs, HTTP/3, IPv6, logging,
the CORS part of a response headers policy, request header changes made by a function, and a
viewer-response function's view of the headers the response headers policy adds (it sees the origin's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Managed cache policies: what each puts in the cache key, which CloudFront also forwards to the origin.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
MANAGED_CACHE_POLICIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("CachingOptimized", {"query": False, "headers": "none"}),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("CachingDisabled", {"query": False, "headers": "none"}),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": (
        "CachingOptimizedForUncompressedObjects",
        {"query": False, "headers": "none"},
    ),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": ("UseOriginCacheControlHeaders", {"query": False, "headers": "host"}),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": (
        "UseOriginCacheControlHeaders-QueryStrings",
        {"query": True, "headers": "host"},
    ),
}
# Managed origin request policies: what CloudFront forwards to the origin beyond the cache key.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": ("AllViewer", {"query": True, "headers": "all"}),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": (
        "AllViewerExceptHostHeader",
        {"query": True, "headers": "all-except-host"},
    ),
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": (
        "AllViewerAndCloudFrontHeaders-2022-06",
        {"query": True, "headers": "all"},
    ),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": ("CORS-S3Origin", {"query": False, "headers": "cors"}),
    "59781a5b-3903-41f3-afcb-af62929ccde1": ("CORS-CustomOrigin", {"query": False, "headers": "cors"}),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": ("UserAgentRefererHeaders", {"query": False, "headers": "ua-referer"}),
}
# The managed SecurityHeadersPolicy, the one managed response headers policy the collection might reference.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html
MANAGED_RESPONSE_HEADERS_POLICIES = {
    "67f7725c-6f97-4210-82d7-5512b31e9d03": {
        "Name": "Managed-SecurityHeadersPolicy",
        "SecurityHeadersConfig": {
            "FrameOptions": {"Override": False, "FrameOption": "SAMEORIGIN"},
            "ReferrerPolicy": {"Override": False, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            "ContentTypeOptions": {"Override": True},
            "StrictTransportSecurity": {
                "Override": False,
                "IncludeSubdomains": False,
                "Preload": False,
                "AccessControlMaxAgeSec": 31536000,
            },
            "XSSProtection": {"Override": False, "Protection": True, "ModeBlock": True},
        },
    },
}

# Viewer security policies: protocols and (TLS 1.2) ciphers, in OpenSSL names.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
_CIPHERS_2021 = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
_CIPHERS_2019 = (
    _CIPHERS_2021
    + ":ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384"
)
_CIPHERS_2018 = _CIPHERS_2019 + ":AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256"
_CIPHERS_LEGACY = (
    _CIPHERS_2018 + ":ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA"
)
# OpenSSL's default security level refuses TLS 1.0/1.1 outright; level 0 lets the legacy policies offer them, as AWS does.
SECURITY_POLICIES = {
    "TLSv1": ("TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", _CIPHERS_LEGACY + ":@SECLEVEL=0"),
    "TLSv1_2016": ("TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", _CIPHERS_LEGACY + ":@SECLEVEL=0"),
    "TLSv1.1_2016": ("TLSv1.1 TLSv1.2 TLSv1.3", _CIPHERS_LEGACY + ":@SECLEVEL=0"),
    "TLSv1.2_2018": ("TLSv1.2 TLSv1.3", _CIPHERS_2018),
    "TLSv1.2_2019": ("TLSv1.2 TLSv1.3", _CIPHERS_2019),
    "TLSv1.2_2021": ("TLSv1.2 TLSv1.3", _CIPHERS_2021),
    "TLSv1.2_2025": ("TLSv1.2 TLSv1.3", _CIPHERS_2021),
    "TLSv1.3_2025": ("TLSv1.3", _CIPHERS_2021),
}
# The *.cloudfront.net certificate: "CloudFront automatically sets the security policy to TLSv1".
DEFAULT_CERTIFICATE_POLICY = "TLSv1"
DEFAULT_CERTIFICATE_NAMES = ["*.cloudfront.net"]

# Content types CloudFront compresses (between 1,000 and 10,000,000 bytes).
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html
COMPRESSIBLE_TYPES = [
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/xml",
    "image/svg+xml",
    "image/x-icon",
    "text/css",
    "text/javascript",
    "text/plain",
    "text/xml",
]

# Where a behaviour with a viewer-request function sends the rewritten request inside nginx (internal only).
ORIGIN_PREFIX = "/.webstack-edge-origin"


class EdgeConfigError(ValueError):
    """A distribution uses something the stand-in cannot serve; the message names it."""


@dataclass
class Origin:
    id: str
    kind: str  # s3 | custom
    upstream: str  # nginx upstream name
    servers: list[str]  # address:port
    scheme: str  # http | https
    host: str  # the Host header (and SNI) the origin gets
    path: str  # OriginPath
    sign: bool = False  # SigV4 (origin access control)
    region: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    ssl_protocols: str = "TLSv1.2"
    read_timeout: int = 30
    keepalive_timeout: int = 5
    connect_timeout: int = 10
    not_found_is_forbidden: bool = False


@dataclass
class HeaderRule:
    name: str
    value: str
    override: bool
    variable: str = ""  # the nginx map variable that adds a non-overriding header only when the origin sent none


@dataclass
class Behaviour:
    index: int
    pattern: str | None  # None: the default behaviour
    regex: str | None
    viewer_protocol_policy: str
    methods: list[str]
    origin: Origin
    forward_query: bool
    forward_headers: str  # none | all | all-except-host | host | cors | ua-referer
    compress: bool
    headers: list[HeaderRule]
    hidden_headers: list[str]
    viewer_request: str = ""  # function key in the functions module
    viewer_response: str = ""


def path_pattern_regex(pattern: str) -> str:
    """A CloudFront path pattern as an anchored, case-sensitive nginx regex.

    `*` matches any run of characters (slashes included), `?` exactly one; the leading slash is optional
    in the pattern ("images/*.jpg" and "/images/*.jpg" are the same pattern).
    """
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return '"^' + "".join(out) + '$"'


def _items(container) -> list:
    return list((container or {}).get("Items") or [])


def forwarding(behaviour: dict) -> dict:
    """What reaches the origin: the cache key's query/headers plus the origin request policy's."""
    cache_id = behaviour.get("CachePolicyId") or ""
    request_id = behaviour.get("OriginRequestPolicyId") or ""
    if not cache_id:
        # Legacy settings (ForwardedValues) instead of a cache policy.
        legacy = behaviour.get("ForwardedValues") or {}
        headers = _items(legacy.get("Headers"))
        return {
            "query": bool(legacy.get("QueryString")),
            "headers": "all" if "*" in headers else ("host" if [h.lower() for h in headers] == ["host"] else "none"),
        }
    if cache_id not in MANAGED_CACHE_POLICIES:
        raise EdgeConfigError(f"cache policy {cache_id} is not a managed policy the edge stand-in knows")
    result = dict(MANAGED_CACHE_POLICIES[cache_id][1])
    if request_id:
        if request_id not in MANAGED_ORIGIN_REQUEST_POLICIES:
            raise EdgeConfigError(f"origin request policy {request_id} is not a managed policy the edge stand-in knows")
        extra = MANAGED_ORIGIN_REQUEST_POLICIES[request_id][1]
        result["query"] = result["query"] or extra["query"]
        order = ["none", "cors", "ua-referer", "host", "all-except-host", "all"]
        result["headers"] = max(result["headers"], extra["headers"], key=order.index)
    return result


def behaviour_for(behaviours: list[Behaviour], path: str) -> Behaviour:
    """The first behaviour whose path pattern matches `path` (the default one last)."""
    for behaviour in behaviours:
        if behaviour.regex is None or re.fullmatch(behaviour.regex.strip('"').lstrip("^").rstrip("$"), path):
            return behaviour
    return behaviours[-1]


def response_headers(policy: dict | None, key: str) -> tuple[list[HeaderRule], list[str]]:
    """The headers a response headers policy adds (name, value, override) and those it removes."""
    if not policy:
        return [], []
    rules = []
    security = policy.get("SecurityHeadersConfig") or {}
    hsts = security.get("StrictTransportSecurity")
    if hsts:
        value = f"max-age={int(hsts['AccessControlMaxAgeSec'])}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        rules.append(HeaderRule("Strict-Transport-Security", value, bool(hsts.get("Override"))))
    if security.get("ContentTypeOptions"):
        rules.append(
            HeaderRule("X-Content-Type-Options", "nosniff", bool(security["ContentTypeOptions"].get("Override")))
        )
    frame = security.get("FrameOptions")
    if frame:
        rules.append(HeaderRule("X-Frame-Options", frame["FrameOption"], bool(frame.get("Override"))))
    referrer = security.get("ReferrerPolicy")
    if referrer:
        rules.append(HeaderRule("Referrer-Policy", referrer["ReferrerPolicy"], bool(referrer.get("Override"))))
    csp = security.get("ContentSecurityPolicy")
    if csp:
        rules.append(HeaderRule("Content-Security-Policy", csp["ContentSecurityPolicy"], bool(csp.get("Override"))))
    xss = security.get("XSSProtection")
    if xss:
        value = "1" if xss.get("Protection") else "0"
        if xss.get("Protection") and xss.get("ModeBlock"):
            value += "; mode=block"
        elif xss.get("Protection") and xss.get("ReportUri"):
            value += f"; report={xss['ReportUri']}"
        rules.append(HeaderRule("X-XSS-Protection", value, bool(xss.get("Override"))))
    for item in _items(policy.get("CustomHeadersConfig") or {}):
        rules.append(HeaderRule(item["Header"], item["Value"], bool(item.get("Override"))))
    for rule in rules:
        if not rule.override:
            rule.variable = f"$webstack_rhp_{key}_{re.sub(r'[^a-z0-9]', '_', rule.name.lower())}"
    removed = [item["Header"] for item in _items(policy.get("RemoveHeadersConfig"))]
    return rules, removed


def security_policy(name: str) -> tuple[str, str]:
    if name not in SECURITY_POLICIES:
        raise EdgeConfigError(f"viewer security policy {name!r} is not one the edge stand-in knows")
    return SECURITY_POLICIES[name]


def function_key(arn: str) -> str:
    """A function's key in the generated njs module: its name (the last part of its ARN)."""
    return arn.rsplit("/", 1)[-1] or arn


def build(
    distribution: dict,
    *,
    origins: dict[str, Origin],
    header_policies: dict[str, dict],
    certificates: dict[str, dict],
) -> dict:
    """The template's view of one distribution.

    distribution: {"Id", "DomainName", "DistributionConfig"} as GetDistribution returns them.
    origins: origin id -> Origin (edge.py resolves each origin's address and signing).
    header_policies: response headers policy id -> its ResponseHeadersPolicyConfig (custom ones).
    certificates: "aliases" and "default" -> {"cert", "key"} paths from the local CA.
    """
    config = distribution["DistributionConfig"]
    dist_id = distribution["Id"]
    policies = dict(MANAGED_RESPONSE_HEADERS_POLICIES, **header_policies)
    behaviours = []
    raw = [*_items(config.get("CacheBehaviors")), config["DefaultCacheBehavior"]]
    policy_keys: dict[str, str] = {}
    for index, item in enumerate(raw):
        target = item["TargetOriginId"]
        if target not in origins:
            raise EdgeConfigError(f"behaviour {item.get('PathPattern', 'default')} targets unknown origin {target!r}")
        forward = forwarding(item)
        policy_id = item.get("ResponseHeadersPolicyId") or ""
        if policy_id and policy_id not in policies:
            raise EdgeConfigError(
                f"response headers policy {policy_id} is neither in the emulator nor a known managed one"
            )
        key = policy_keys.setdefault(policy_id, f"{dist_id.lower()}_{len(policy_keys)}")
        headers, hidden = response_headers(policies.get(policy_id), key)
        functions = {"viewer-request": "", "viewer-response": ""}
        for association in _items(item.get("FunctionAssociations")):
            functions[association["EventType"]] = function_key(association["FunctionARN"])
        if _items(item.get("LambdaFunctionAssociations")):
            raise EdgeConfigError("Lambda@Edge associations are not modelled by the edge stand-in")
        pattern = item.get("PathPattern")
        behaviours.append(
            Behaviour(
                index=index,
                pattern=pattern,
                regex=path_pattern_regex(pattern) if pattern else None,
                viewer_protocol_policy=item["ViewerProtocolPolicy"],
                methods=_items(item.get("AllowedMethods")) or ["GET", "HEAD"],
                origin=origins[target],
                forward_query=forward["query"],
                forward_headers=forward["headers"],
                compress=bool(item.get("Compress")),
                headers=headers,
                hidden_headers=sorted({h.name for h in headers if h.override} | set(hidden)),
                viewer_request=functions["viewer-request"],
                viewer_response=functions["viewer-response"],
            )
        )
    viewer = config.get("ViewerCertificate") or {}
    aliases = _items(config.get("Aliases"))
    servers = []
    if aliases:
        if viewer.get("CloudFrontDefaultCertificate", True) or not viewer.get("ACMCertificateArn"):
            raise EdgeConfigError("a distribution with aliases needs an ACM certificate")
        protocols, ciphers = security_policy(viewer.get("MinimumProtocolVersion") or "TLSv1")
        servers.append({"names": aliases, "protocols": protocols, "ciphers": ciphers, **certificates["aliases"]})
    protocols, ciphers = security_policy(DEFAULT_CERTIFICATE_POLICY)
    servers.append(
        {"names": [distribution["DomainName"]], "protocols": protocols, "ciphers": ciphers, **certificates["default"]}
    )
    errors = []
    for item in _items(config.get("CustomErrorResponses")):
        if item.get("ResponsePagePath"):
            errors.append(
                {
                    "code": int(item["ErrorCode"]),
                    "response_code": str(item.get("ResponseCode") or ""),
                    "path": item["ResponsePagePath"],
                    # CloudFront fetches the page through the behaviour its path matches.
                    "behaviour": behaviour_for(behaviours, item["ResponsePagePath"]),
                }
            )
    used_origins = []
    for behaviour in behaviours:
        if behaviour.origin not in used_origins:
            used_origins.append(behaviour.origin)
    return {
        "id": dist_id,
        "domain_name": distribution["DomainName"],
        "aliases": aliases,
        "enabled": bool(config.get("Enabled", True)),
        "http2": config.get("HttpVersion", "http2") != "http1.1",
        "servers": servers,
        "default_root_object": config.get("DefaultRootObject") or "",
        "errors": errors,
        "behaviours": behaviours,
        "origins": used_origins,
        "header_rules": {rule.variable: rule for b in behaviours for rule in b.headers if rule.variable},
    }


def s3_origin_bucket(domain_name: str) -> tuple[str, str] | None:
    """(bucket, region) of an S3 REST endpoint origin (bucket.s3.<region>.amazonaws.com), else None."""
    match = re.fullmatch(r"(?P<bucket>[a-z0-9.\-]+)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com", domain_name)
    if not match or (match["region"] or "").startswith("website"):
        return None
    return match["bucket"], match["region"] or "us-east-1"


def function_module(functions: dict[str, str]) -> str:
    """The njs module of the distribution's functions: each function's code in its own scope.

    cloudfront-js-2.0 code that imports the `cloudfront` module (KeyValueStore) cannot run here.
    """
    parts = ["// Generated by tools/dataplane/edge.py from the emulator's CloudFront Functions (LIVE stage).", ""]
    entries = []
    for key, code in sorted(functions.items()):
        if re.search(r"^\s*import\s", code, re.MULTILINE):
            raise EdgeConfigError(
                f"CloudFront Function {key} imports a module (KeyValueStore), which njs cannot provide"
            )
        name = "fn_" + re.sub(r"\W", "_", key)
        parts += [f"function {name}() {{", code.rstrip(), "return handler;", "}", ""]
        entries.append(f"    {key!r}: {name}(),".replace("'", '"'))
    parts += ["export default {", *entries, "};", ""]
    return "\n".join(parts)
