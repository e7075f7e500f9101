"""The CloudFront and WAF stand-ins on their own: the real nginx configuration, in front of stub origins.

No emulator and no hosts: two distributions are built from the same model `edge.up` uses, with a
stub origin (a local HTTP server) for the bucket and for the API, and served by nginx on a loopback
address of their own. This proves, in a few seconds, what the end-to-end tests rely on:
- SigV4 signing of S3 requests (OAC) agrees with botocore's signer;
- a viewer-request CloudFront Function rewrites deep links to /index.html (njs), the API behaviour passes
  the API's own 404 through, and the WAF's 403 reaches the viewer;
- as on AWS, a distribution whose custom error responses map 403/404 to /index.html answers the WAF's
  block and the API's 404 with the app's HTML and 200, which is why the collection must not use them;
- HTTP redirects to HTTPS, the response headers policy's headers, a missing User-Agent is blocked.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import ssl
import threading
from http.client import HTTPConnection, HTTPSConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from dataplane import ca, edge, edge_cloudfront, edge_waf, runner

ADDRESS = "127.0.9.20"  # outside the environments' blocks (tools/dataplane/addresses.py)
ORIGIN_ADDRESS = "127.0.9.21"
ALB_WAF_ADDRESS = "127.0.9.11"
FIXTURES = json.loads((Path(__file__).parents[1] / "unit" / "dataplane" / "edge_fixtures.json").read_text())
SPA_FUNCTION = """
function handler(event) {
    var request = event.request;
    var last = request.uri.split('/').pop();
    if (request.uri.indexOf('/api/') !== 0 && last.indexOf('.') === -1) {
        request.uri = '/index.html';
    }
    return request;
}
"""
# A viewer-response function: it adds a header (cloudfront-js-2.0's response event).
STAMP_FUNCTION = """
function handler(event) {
    var response = event.response;
    response.headers['x-viewer-response'] = {value: event.context.eventType + ' ' + response.statusCode};
    return response;
}
"""
INDEX = b'<!doctype html><div id="root"></div>'
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0
    or not shutil.which("nginx", path="/usr/sbin:/usr/bin")
    or not Path("/usr/lib/nginx/modules/ngx_http_js_module.so").exists()
    or not Path("/usr/lib/nginx/modules/ngx_http_modsecurity_module.so").exists()
    or not Path(edge_waf.CRS_SETUP).exists(),
    reason="needs root, nginx with njs and ModSecurity, and the OWASP CRS (tools/setup.sh installs them)",
)


class Origin(BaseHTTPRequestHandler):
    """The bucket (S3 REST) and the API, by the Host header; every request is recorded."""

    seen: list[dict] = []  # noqa: RUF012 (one list per test module, reset by the fixture)

    def log_message(self, *args):
        pass

    def do_GET(self):
        Origin.seen.append({"path": self.path, "headers": dict(self.headers)})
        host = self.headers.get("Host", "")
        if host.startswith("api."):
            if self.path.startswith("/api/health"):
                self._send(200, b'{"status": "ok"}', "application/json")
            else:
                self._send(404, b'{"detail": "Not Found"}', "application/json")
        elif self.path == "/index.html" and not host.startswith("emptied-bucket."):
            self._send(200, INDEX, "text/html", {"X-Frame-Options": "SAMEORIGIN"})
        else:
            self._send(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")

    def _send(self, status, body, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _distribution(dist_id: str, domain: str, *, function: bool, error_pages: bool) -> dict:
    distribution = copy.deepcopy(FIXTURES["prod"])
    distribution.update(Id=dist_id, DomainName=domain, ARN=f"arn:aws:cloudfront::123456789012:distribution/{dist_id}")
    config = distribution["DistributionConfig"]
    config["Aliases"] = {"Quantity": 0, "Items": []}
    config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}
    if function:
        arn = "arn:aws:cloudfront::123456789012:function/"
        config["DefaultCacheBehavior"]["FunctionAssociations"] = {
            "Quantity": 2,
            "Items": [
                {"FunctionARN": arn + "spa-routing", "EventType": "viewer-request"},
                {"FunctionARN": arn + "stamp", "EventType": "viewer-response"},
            ],
        }
    if not error_pages:
        config["CustomErrorResponses"] = {"Quantity": 0, "Items": []}
    return distribution


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("edge")
    Origin.seen = []
    # Port 80: it also stands in for the load balancer behind the WAF (which forwards to the listener's port).
    origin = ThreadingHTTPServer((ORIGIN_ADDRESS, 80), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    stub = f"{ORIGIN_ADDRESS}:80"
    waf = edge_waf.model(FIXTURES["prod_web_acl"])
    waf["zones"] = edge_waf.rate_zones(waf)
    # A web ACL whose rate rule allows 10 requests per 5 minutes (AWS's smallest limit), to see it act.
    strict_acl = copy.deepcopy(FIXTURES["prod_web_acl"])
    strict_acl["Name"] = "strict"
    next(r for r in strict_acl["Rules"] if "RateBasedStatement" in r["Statement"])["Statement"]["RateBasedStatement"][
        "Limit"
    ] = 10
    strict = edge_waf.model(strict_acl)
    strict["zones"] = edge_waf.rate_zones(strict)
    # The load balancer's web ACL behind CloudFront: per first X-Forwarded-For address, else per connection.
    alb_acl = copy.deepcopy(FIXTURES["prod_web_acl"])
    alb_acl["Name"] = "alb"
    alb_acl["Rules"] = [r for r in alb_acl["Rules"] if "RateBasedStatement" not in r["Statement"]] + [
        {
            "Name": "rate-limit-per-forwarded-ip",
            "Priority": 8,
            "Action": {"Block": {}},
            "Statement": {
                "RateBasedStatement": {
                    "Limit": 10,
                    "AggregateKeyType": "FORWARDED_IP",
                    "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"},
                }
            },
        },
        {
            "Name": "rate-limit-per-ip",
            "Priority": 9,
            "Action": {"Block": {}},
            "Statement": {
                "RateBasedStatement": {
                    "Limit": 10,
                    "AggregateKeyType": "IP",
                    "ScopeDownStatement": {
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
                    },
                }
            },
        },
    ]
    alb = edge_waf.model(alb_acl)
    alb["zones"] = edge_waf.rate_zones(alb)
    alb.update(
        alb="lb-1",
        acl="alb",
        address=ALB_WAF_ADDRESS,
        target=ORIGIN_ADDRESS,
        names=["lb-1.elb.amazonaws.com"],
        listeners=[{"port": 80, "protocol": "HTTP"}],
    )
    default_cert = {k: str(v) for k, v in ca.issue(directory, ["*.cloudfront.net"]).items() if k in ("cert", "key")}
    models = []
    for dist_id, domain, function, error_pages in (
        ("ESPA", "spa.cloudfront.net", True, False),
        ("ELEGACY", "legacy.cloudfront.net", False, True),
        ("EEMPTIED", "emptied.cloudfront.net", False, True),
        ("ERATED", "rated.cloudfront.net", False, False),
    ):
        distribution = _distribution(dist_id, domain, function=function, error_pages=error_pages)
        config = distribution["DistributionConfig"]
        s3_origin, api_origin = config["Origins"]["Items"]
        origins = {
            s3_origin["Id"]: edge_cloudfront.Origin(
                id=s3_origin["Id"],
                kind="s3",
                upstream=f"{dist_id.lower()}_s3",
                servers=[stub],
                scheme="http",
                host=(
                    "emptied-bucket.s3.us-east-1.amazonaws.com" if dist_id == "EEMPTIED" else s3_origin["DomainName"]
                ),
                path="",
                sign=True,
                region="us-east-1",
                # The collection's bucket policy grants CloudFront s3:GetObject only.
                not_found_is_forbidden=True,
            ),
            api_origin["Id"]: edge_cloudfront.Origin(
                id=api_origin["Id"],
                kind="custom",
                upstream=f"{dist_id.lower()}_api",
                servers=[stub],
                scheme="http",
                host="api.example.test",
                path="",
                headers=[("X-Origin-Verify", "shared-secret")],
            ),
        }
        policy_id = config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
        policy = {
            "Name": "security-headers",
            "SecurityHeadersConfig": {
                "StrictTransportSecurity": {
                    "Override": True,
                    "AccessControlMaxAgeSec": 63072000,
                    "IncludeSubdomains": True,
                },
                "ContentTypeOptions": {"Override": True},
                "FrameOptions": {"Override": True, "FrameOption": "DENY"},
                "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "strict-origin-when-cross-origin"},
            },
        }
        model = edge_cloudfront.build(
            distribution, origins=origins, header_policies={policy_id: policy}, certificates={"default": default_cert}
        )
        model["waf"] = strict if dist_id == "ERATED" else waf
        models.append(model)
    context = {
        "env": "test",
        "dir": str(directory),
        "address": ADDRESS,
        "distributions": models,
        "alb_wafs": [alb],
        "websites": [],
        "wafs": [waf, strict, alb],
        "origins": [o for m in models for o in m["origins"]],
        "rate_zones": [zone for w in (waf, strict, alb) for zone in w["zones"]],
        "header_rules": {},
        "compressible_types": edge_cloudfront.COMPRESSIBLE_TYPES,
        "origin_prefix": edge_cloudfront.ORIGIN_PREFIX,
        "ca_bundle": str(ca.ensure(directory)),
        "credentials": edge.CREDENTIALS,
    }
    functions = {"spa-routing": SPA_FUNCTION, "stamp": STAMP_FUNCTION}
    decided = {"context": context, "functions": functions, "wafs": [waf, strict, alb]}
    conf = edge.write(directory, decided)
    pid = None
    try:
        pid = edge.serve(conf, edge.listeners_of(context))
        yield {"ca": context["ca_bundle"], "dir": directory}
    finally:
        edge.stop(pid)
        origin.shutdown()


def get(served, host, path, *, scheme="https", user_agent="edge-test", method="GET", address=ADDRESS, headers=None):
    """One request to `host` as a viewer would send it, the name resolved to the stand-in's address."""
    Origin.seen.clear()
    resolve = {"resolve": [f"{host}:80:{address}", f"{host}:443:{address}"]}
    with runner.resolving(resolve):
        if scheme == "https":
            conn = HTTPSConnection(host, 443, context=ssl.create_default_context(cafile=served["ca"]), timeout=10)
        else:
            conn = HTTPConnection(host, 80, timeout=10)
        headers = dict(headers or {}, **({"User-Agent": user_agent} if user_agent else {}))
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_s3_requests_are_signed_as_botocore_signs_them(served):
    status, _, body = get(served, "spa.cloudfront.net", "/index.html")
    assert (status, body) == (200, INDEX)
    request = next(r for r in Origin.seen if r["path"] == "/index.html")["headers"]
    assert request["Host"] == "illustra-prod-frontend.s3.us-east-1.amazonaws.com"
    signer = S3SigV4Auth(Credentials("testing", "testing"), "s3", "us-east-1")
    aws_request = AWSRequest(
        method="GET",
        url=f"https://{request['Host']}/index.html",
        headers={"X-Amz-Date": request["X-Amz-Date"], "X-Amz-Content-SHA256": EMPTY_SHA256},
    )
    aws_request.context["timestamp"] = request["X-Amz-Date"]
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    assert request["Authorization"].endswith(
        f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={expected}"
    )
    assert request["Authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential=testing/{request['X-Amz-Date'][:8]}/us-east-1/s3/"
    )
    # The viewer's headers do not reach the bucket (CachingOptimized forwards none).
    assert "User-Agent" not in request


def test_the_default_root_object_and_the_security_headers(served):
    status, headers, body = get(served, "spa.cloudfront.net", "/")
    assert (status, body) == (200, INDEX)
    assert Origin.seen[0]["path"] == "/index.html"
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"
    # Override: the policy's DENY replaces the origin's SAMEORIGIN, once.
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-cache"] == "Miss from cloudfront"


def test_a_viewer_request_function_serves_deep_links(served):
    status, headers, body = get(served, "spa.cloudfront.net", "/products/poster-aurora")
    assert (status, body) == (200, INDEX)
    # The behaviour's viewer-response function saw the response and added a header.
    assert headers["x-viewer-response"] == "viewer-response 200"
    assert [r["path"] for r in Origin.seen] == ["/index.html"]
    # A missing file is S3's 403 (no s3:ListBucket for CloudFront): the function only rewrites paths without an extension.
    status, headers, _ = get(served, "spa.cloudfront.net", "/static/missing.js")
    assert status == 403
    assert headers["strict-transport-security"].startswith("max-age=")


def test_the_api_behaviour_passes_the_api_s_own_answers(served):
    status, headers, body = get(served, "spa.cloudfront.net", "/api/does-not-exist?x=1")
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "Not Found"}
    request = Origin.seen[0]
    # AllViewerExceptHostHeader: the query string and the viewer's headers, the origin's own Host, the custom header.
    assert request["path"] == "/api/does-not-exist?x=1"
    assert request["headers"]["Host"] == "api.example.test"
    assert request["headers"]["User-Agent"] == "edge-test"
    assert request["headers"]["X-Origin-Verify"] == "shared-secret"


def test_the_waf_blocks_with_403(served):
    status, _, body = get(served, "spa.cloudfront.net", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert status == 403 and INDEX not in body
    assert Origin.seen == []
    # AWS's common rule set blocks requests without a User-Agent (NoUserAgent_HEADER).
    status, _, _ = get(served, "spa.cloudfront.net", "/", user_agent=None)
    assert status == 403


def test_the_rate_rule_blocks_a_client_over_its_limit(served):
    """Limit 10 per 5 minutes per IP: a burst of 10 passes, the 11th request on gets 403 (a bounded loop)."""
    statuses = [get(served, "rated.cloudfront.net", "/index.html")[0] for _ in range(14)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [403] * 4


def test_custom_error_responses_replace_the_waf_and_api_errors_as_on_aws(served):
    """403/404 -> /index.html (200) also turns the WAF's block and the API's 404 into the app (AWS documents this)."""
    status, headers, body = get(served, "legacy.cloudfront.net", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert (status, body) == (200, INDEX)
    status, headers, body = get(served, "legacy.cloudfront.net", "/api/does-not-exist")
    assert (status, body) == (200, INDEX)
    assert headers["strict-transport-security"].startswith("max-age=")


def test_an_error_page_that_is_missing_gives_the_page_s_status(served):
    """AWS: when the custom error page is unavailable, the viewer gets the status its origin answered."""
    status, _, _ = get(served, "emptied.cloudfront.net", "/")
    # index.html is missing: S3's 403, then the error page (index.html again) is missing too: its 403.
    assert status == 403
    assert [r["path"] for r in Origin.seen] == ["/index.html", "/index.html"]


def test_plain_http_redirects_to_https(served):
    status, headers, _ = get(served, "spa.cloudfront.net", "/products/1?a=b", scheme="http")
    assert status == 301
    assert headers["location"] == "https://spa.cloudfront.net/products/1?a=b"


def test_unknown_names_are_refused(served):
    status, _, _ = get(served, "nobody.example.test", "/", scheme="http")
    assert status == 403
    with pytest.raises(ssl.SSLError):
        get(served, "nobody.example.test", "/")


def test_the_default_certificate_serves_tls12_clients(served):
    context = ssl.create_default_context(cafile=served["ca"])
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection((ADDRESS, 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="spa.cloudfront.net") as tls,
    ):
        assert tls.version() == "TLSv1.2"


def alb(served, path="/index.html", **kwargs):
    return get(served, "lb-1.elb.amazonaws.com", path, scheme="http", address=ALB_WAF_ADDRESS, **kwargs)


def test_the_load_balancer_s_waf_forwards_to_it_and_blocks_attacks(served):
    status, _, body = alb(served)
    assert (status, body) == (200, INDEX)
    request = Origin.seen[0]["headers"]
    assert request["Host"] == "lb-1.elb.amazonaws.com" and request["X-Forwarded-For"] == "127.0.0.1"
    status, _, _ = alb(served, "/index.html?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert status == 403 and Origin.seen == []


def test_the_load_balancer_s_rate_rules_count_viewers_behind_cloudfront(served):
    """Per first X-Forwarded-For address (10 in a row, then 403); other viewers unaffected; no address: blocked."""
    viewer = {"X-Forwarded-For": "203.0.113.7, 130.176.0.1"}
    statuses = [alb(served, headers=viewer)[0] for _ in range(12)]
    assert statuses == [200] * 10 + [403] * 2
    assert alb(served, headers={"X-Forwarded-For": "203.0.113.8"})[0] == 200
    assert alb(served, headers={"X-Forwarded-For": "not-an-address"})[0] == 403
    # Without the header, the connection's own address is counted (the rule scoped to requests without it).
    statuses = [alb(served)[0] for _ in range(11)]
    assert 403 in statuses
