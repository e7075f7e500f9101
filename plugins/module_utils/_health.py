# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP health checks: pure evaluation for the ``health_check`` module (no network here)."""

import calendar
import json
import re
import time

TLS_ORDER = {"SSLv3": 0, "TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4}

# The headers the collection's CloudFront response-headers policy and nginx config set.
DEFAULT_SECURITY_HEADERS = [
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
]

WAF_PROBE_QUERY = "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"

# Sent unless the task sets its own: AWS WAF's core rule set blocks requests without a User-Agent
# (NoUserAgent_HEADER, https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html).
USER_AGENT = "illustra.webstack-health_check"


def request_headers(headers):
    """The task's headers, with a User-Agent unless it names one."""
    out = dict(headers or {})
    if not any(name.lower() == "user-agent" for name in out):
        out["User-Agent"] = USER_AGENT
    return out


def backoff_delays(attempts, initial, factor=2.0, maximum=30.0):
    """Delays between ``attempts`` tries: initial, initial*factor, ... capped at ``maximum``."""
    delays = []
    delay = float(initial)
    for _attempt in range(max(0, attempts - 1)):
        delays.append(min(delay, maximum))
        delay *= factor
    return delays


def probe_url(url, query=WAF_PROBE_QUERY):
    """The URL with the WAF probe's XSS query added."""
    return url + ("&" if "?" in url else "?") + query


def lower_headers(pairs):
    """Header pairs as a dict with lower-case names (repeated headers joined with ', ')."""
    out = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = value if key not in out else out[key] + ", " + value
    return out


def check_headers(headers, required):
    """Missing or wrong headers. ``required`` is a list of names, or a dict name -> regex the value must match."""
    problems = []
    items = required.items() if isinstance(required, dict) else ((name, None) for name in required or [])
    for name, pattern in items:
        value = headers.get(name.lower())
        if value is None:
            problems.append(f"missing header {name}")
        elif pattern and not re.search(pattern, value):
            problems.append(f"header {name}: {value!r} does not match {pattern!r}")
    return problems


def _lookup(data, path):
    current = data
    for part in path.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(path)
    return current


def check_json(body, expected):
    """Mismatches between a JSON body and ``expected`` (dotted paths -> values)."""
    try:
        data = json.loads(body)
    except ValueError as e:
        return [f"body is not JSON ({e})"]
    problems = []
    for path, want in sorted((expected or {}).items()):
        try:
            got = _lookup(data, path)
        except KeyError:
            problems.append(f"JSON {path} is missing")
            continue
        if got != want:
            problems.append(f"JSON {path} is {got!r}, expected {want!r}")
    return problems


def cert_days_left(not_after, now=None):
    """Days until a certificate's notAfter (as ssl.getpeercert() spells it, e.g. 'Jun  1 12:00:00 2026 GMT')."""
    expires = calendar.timegm(time.strptime(not_after, "%b %d %H:%M:%S %Y %Z"))
    now = time.time() if now is None else now
    return int((expires - now) // 86400)


def evaluate(response, spec):
    """Every check of one attempt: a list of {name, passed, detail}.

    ``response`` = {status, headers (lower-case dict), body, latency_ms, tls: {version, not_after}|None,
    error}; ``spec`` = the module's expectations.
    """
    checks = []

    def add(name, ok, detail):
        checks.append({"name": name, "passed": bool(ok), "detail": detail})

    if response.get("error"):
        add("connect", False, response["error"])
        return checks
    status = response["status"]
    add(
        "status",
        status in spec["expected_status"],
        "status {}, expected one of {}".format(status, spec["expected_status"]),
    )
    if spec.get("max_latency_ms"):
        add(
            "latency",
            response["latency_ms"] <= spec["max_latency_ms"],
            "{} ms, limit {} ms".format(response["latency_ms"], spec["max_latency_ms"]),
        )
    if spec.get("body_contains"):
        add(
            "body",
            spec["body_contains"] in response["body"],
            "body {} {!r}".format(
                "contains" if spec["body_contains"] in response["body"] else "lacks", spec["body_contains"]
            ),
        )
    if spec.get("json_match"):
        problems = check_json(response["body"], spec["json_match"])
        add("json", not problems, "; ".join(problems) or "JSON matches")
    if spec.get("required_headers"):
        problems = check_headers(response["headers"], spec["required_headers"])
        add("headers", not problems, "; ".join(problems) or "required headers present")
    tls = response.get("tls")
    if spec.get("min_tls_version"):
        if not tls:
            add("tls_version", False, "not a TLS connection, expected {} or newer".format(spec["min_tls_version"]))
        else:
            ok = TLS_ORDER.get(tls.get("version"), -1) >= TLS_ORDER[spec["min_tls_version"]]
            add("tls_version", ok, "negotiated {}, minimum {}".format(tls.get("version"), spec["min_tls_version"]))
    if spec.get("cert_min_days") is not None and tls is not None:
        days = tls.get("days_left")
        if days is None:
            add("certificate", False, "certificate expiry unknown (verify it: validate_certs or ca_path)")
        else:
            add(
                "certificate",
                days >= spec["cert_min_days"],
                "certificate expires in {} days (on {}), minimum {}".format(
                    days, tls.get("not_after"), spec["cert_min_days"]
                ),
            )
    return checks


def evaluate_waf(response, expected_status):
    """The WAF probe's check: an XSS request must be blocked with ``expected_status``."""
    if response.get("error"):
        return {"name": "waf_probe", "passed": False, "detail": "probe failed: " + response["error"]}
    status = response["status"]
    return {
        "name": "waf_probe",
        "passed": status == expected_status,
        "detail": f"XSS probe got {status}, expected {expected_status} (blocked)",
    }


def failures(checks):
    return ["{}: {}".format(c["name"], c["detail"]) for c in checks if not c["passed"]]
