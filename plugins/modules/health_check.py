#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: health_check
short_description: Check an HTTP(S) endpoint - status, latency, body, security headers, TLS and WAF
version_added: 0.1.0
description:
  - Requests O(url) and checks the status, the latency, the body (substring or JSON values), required
    security headers, the negotiated TLS version and the certificate's remaining validity.
  - Retries with exponential backoff until every check passes or O(retries) attempts are spent (a
    fresh deploy may need a moment).
  - With O(waf_probe=true) also sends a request carrying an XSS payload, which the WAF must block
    with O(waf_probe_status).
  - Fails with the structured result when a check fails, unless O(fail_on_error=false).
  - Makes no change; runs the same in check mode.
author:
  - illustra.webstack developers (@illustra)
options:
  url:
    description: The URL to check (V(http://) or V(https://)).
    type: str
    required: true
  method:
    description: HTTP method.
    type: str
    choices: [GET, HEAD]
    default: GET
  headers:
    description:
      - Request headers (for example V(Host) to address a virtual host through a load balancer).
      - A C(User-Agent) is sent unless one is given here, since AWS WAF's core rule set blocks requests without one.
    type: dict
    default: {}
  expected_status:
    description: Acceptable status codes.
    type: list
    elements: int
    default: [200]
  max_latency_ms:
    description: Slowest acceptable response (whole body read), in milliseconds; V(0) disables the check.
    type: int
    default: 0
  body_contains:
    description: Text the body must contain.
    type: str
  json_match:
    description: 'Values the JSON body must have, by dotted path (V({"status": "ok", "db.connected": true})).'
    type: dict
  required_headers:
    description:
      - Response headers that must be present - a list of names, or a dict of name to a regular
        expression the value must match.
      - The default is the security headers our CloudFront policy and nginx configuration set.
    type: raw
    default: [strict-transport-security, x-content-type-options, x-frame-options, referrer-policy]
  min_tls_version:
    description: Oldest acceptable negotiated TLS version (V(https://) URLs only).
    type: str
    choices: [TLSv1.2, TLSv1.3]
  cert_min_days:
    description: Days the server certificate must still be valid (V(https://) URLs; needs a verified certificate).
    type: int
  validate_certs:
    description: Verify the server certificate and host name.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify the certificate with (for example a private CA).
    type: path
  timeout:
    description: Seconds to wait for each request.
    type: float
    default: 10
  retries:
    description: Attempts in total before the check fails.
    type: int
    default: 3
  backoff:
    description: Seconds before the second attempt; doubles after each, capped at O(max_backoff).
    type: float
    default: 2
  max_backoff:
    description: Longest wait between attempts, in seconds.
    type: float
    default: 30
  waf_probe:
    description: Also send an XSS request that the WAF must block.
    type: bool
    default: false
  waf_probe_status:
    description: The status a blocked probe gets.
    type: int
    default: 403
  fail_on_error:
    description: Fail the task when a check fails; V(false) returns the result with RV(health_check.passed=false).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Makes no change.
"""

EXAMPLES = r"""
- name: Check the API through the load balancer
  illustra.webstack.health_check:
    url: "https://api.example.com/api/health"
    json_match: {status: healthy}
    max_latency_ms: 1500
    min_tls_version: TLSv1.2
    cert_min_days: 14

- name: Check the website's security headers and that the WAF blocks XSS
  illustra.webstack.health_check:
    url: "https://www.example.com/"
    body_contains: '<div id="root">'
    required_headers:
      strict-transport-security: "max-age=\\d{7,}"
      x-content-type-options: nosniff
      x-frame-options: "DENY|SAMEORIGIN"
    waf_probe: true
"""

RETURN = r"""
health_check:
  description: What was checked and how it went.
  returned: always
  type: dict
  contains:
    url:
      description: The URL checked.
      type: str
    passed:
      description: Whether every check passed.
      type: bool
    attempts:
      description: Attempts made.
      type: int
    status:
      description: Status of the last attempt (V(null) when it could not connect).
      type: int
      sample: 200
    latency_ms:
      description: Time of the last attempt, in milliseconds.
      type: int
    headers:
      description: Response headers of the last attempt, lower-case names.
      type: dict
    checks:
      description: Every check of the last attempt with its verdict.
      type: list
      elements: dict
      sample: [{"name": "status", "passed": true, "detail": "status 200, expected one of [200]"}]
    failures:
      description: The failed checks, one line each.
      type: list
      elements: str
    tls:
      description: TLS version, cipher and certificate expiry (V(null) for plain HTTP).
      type: dict
    waf_probe:
      description: The probe's check when O(waf_probe=true).
      type: dict
"""

import ssl
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import urlsplit

try:
    from http.client import HTTPConnection
    from http.client import HTTPException
    from http.client import HTTPSConnection
except ImportError:  # Python 2 is not supported; keep the import sanity test quiet
    HTTPConnection = HTTPSConnection = HTTPException = None

from ansible_collections.illustra.webstack.plugins.module_utils._health import backoff_delays
from ansible_collections.illustra.webstack.plugins.module_utils._health import cert_days_left
from ansible_collections.illustra.webstack.plugins.module_utils._health import evaluate
from ansible_collections.illustra.webstack.plugins.module_utils._health import evaluate_waf
from ansible_collections.illustra.webstack.plugins.module_utils._health import failures
from ansible_collections.illustra.webstack.plugins.module_utils._health import lower_headers
from ansible_collections.illustra.webstack.plugins.module_utils._health import probe_url
from ansible_collections.illustra.webstack.plugins.module_utils._health import request_headers

MAX_BODY = 1024 * 1024


def _ssl_context(validate_certs, ca_path):
    if validate_certs:
        return ssl.create_default_context(cafile=ca_path)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fetch(url, method, headers, *, timeout, validate_certs, ca_path):
    """One request: {status, headers, body, latency_ms, tls, error}. Never raises for network errors."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    started = time.time()
    tls = None
    conn = None
    try:
        if parts.scheme == "https":
            conn = HTTPSConnection(
                parts.hostname, parts.port or 443, timeout=timeout, context=_ssl_context(validate_certs, ca_path)
            )
        else:
            conn = HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        conn.request(method, path, headers=request_headers(headers))
        response = conn.getresponse()
        body = response.read(MAX_BODY)
        latency_ms = int((time.time() - started) * 1000)
        if parts.scheme == "https" and conn.sock is not None:
            cert = conn.sock.getpeercert() or {}
            not_after = cert.get("notAfter")
            tls = {
                "version": conn.sock.version(),
                "cipher": (conn.sock.cipher() or [None])[0],
                "not_after": not_after,
                "days_left": cert_days_left(not_after) if not_after else None,
            }
        return {
            "status": response.status,
            "headers": lower_headers(response.getheaders()),
            "body": body.decode("utf-8", "replace"),
            "latency_ms": latency_ms,
            "tls": tls,
            "error": None,
        }
    except (OSError, ssl.SSLError, ssl.CertificateError, HTTPException, ValueError) as e:
        return {
            "status": None,
            "headers": {},
            "body": "",
            "latency_ms": int((time.time() - started) * 1000),
            "tls": None,
            "error": f"{type(e).__name__}: {e}",
        }
    finally:
        if conn is not None:
            conn.close()


def _conn(params):
    return dict(timeout=params["timeout"], validate_certs=params["validate_certs"], ca_path=params["ca_path"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            method=dict(type="str", choices=["GET", "HEAD"], default="GET"),
            headers=dict(type="dict", default={}),
            expected_status=dict(type="list", elements="int", default=[200]),
            max_latency_ms=dict(type="int", default=0),
            body_contains=dict(type="str"),
            json_match=dict(type="dict"),
            required_headers=dict(
                type="raw",
                default=["strict-transport-security", "x-content-type-options", "x-frame-options", "referrer-policy"],
            ),
            min_tls_version=dict(type="str", choices=["TLSv1.2", "TLSv1.3"]),
            cert_min_days=dict(type="int"),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="float", default=10),
            retries=dict(type="int", default=3),
            backoff=dict(type="float", default=2),
            max_backoff=dict(type="float", default=30),
            waf_probe=dict(type="bool", default=False),
            waf_probe_status=dict(type="int", default=403),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if urlsplit(p["url"]).scheme not in ("http", "https") or not urlsplit(p["url"]).hostname:
        module.fail_json(msg="url must be an absolute http:// or https:// URL, got {!r}".format(p["url"]))
    if p["retries"] < 1:
        module.fail_json(msg="retries must be at least 1")
    required = p["required_headers"]
    if required is not None and not isinstance(required, (list, dict)):
        module.fail_json(msg="required_headers must be a list of header names or a dict of name to regex")
    if p["min_tls_version"] and not p["url"].startswith("https://"):
        module.fail_json(msg="min_tls_version needs an https:// url, got {}".format(p["url"]))
    spec = dict(p, required_headers=required or [])

    delays = backoff_delays(p["retries"], p["backoff"], 2.0, p["max_backoff"])
    attempts = 0
    while True:
        attempts += 1
        response = fetch(p["url"], p["method"], p["headers"], **_conn(p))
        checks = evaluate(response, spec)
        if all(c["passed"] for c in checks) or attempts > len(delays):
            break
        time.sleep(delays[attempts - 1])

    result = dict(
        url=p["url"],
        attempts=attempts,
        status=response["status"],
        latency_ms=response["latency_ms"],
        headers=response["headers"],
        tls=response["tls"],
        checks=checks,
        waf_probe=None,
    )
    if p["waf_probe"]:
        probe = fetch(probe_url(p["url"]), "GET", p["headers"], **_conn(p))
        result["waf_probe"] = evaluate_waf(probe, p["waf_probe_status"])
        checks = [*checks, result["waf_probe"]]
    result["failures"] = failures(checks)
    result["passed"] = not result["failures"]
    if not result["passed"] and p["fail_on_error"]:
        module.fail_json(
            msg="health check of {} failed after {} attempt(s): {}".format(
                p["url"], attempts, "; ".join(result["failures"])
            ),
            health_check=result,
        )
    module.exit_json(changed=False, health_check=result)


if __name__ == "__main__":
    main()
