"""The WAF stand-in's model: an AWS WAF web ACL turned into ModSecurity with the OWASP CRS and an nginx rate limit.

Pure functions; `edge.py` reads the web ACL from the emulator. The mapping, rule by rule:

- AWSManagedRulesCommonRuleSet -> ModSecurity (libnginx-mod-http-modsecurity) with the OWASP Core Rule
  Set (Debian's modsecurity-crs, paranoia level 1, anomaly scoring, 403 on block), plus the rules of
  AWS's group that CRS does not have in that form, as AWS documents them
  (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html):
  NoUserAgent_HEADER (no User-Agent), SizeRestrictions_QUERYSTRING (> 2,048 bytes),
  SizeRestrictions_Cookie_HEADER (> 10,240 bytes), SizeRestrictions_URIPATH (> 1,024 bytes),
  SizeRestrictions_BODY (> 8 KB), UserAgent_BadBots_HEADER (nessus, nmap, ...).
  `Count` (OverrideAction) runs ModSecurity in DetectionOnly.
- AWSManagedRulesSQLiRuleSet and AWSManagedRulesKnownBadInputsRuleSet: CRS's SQL injection (942) and
  Java/Log4j (944) rules stand in for them, and run only as part of the above.
- A rate-based rule -> nginx `limit_req`: the limit per evaluation window as a leaky bucket that lets
  the limit through in a row, 403 when it overflows (`Count`: dry run). Keyed on the client's address
  (AggregateKeyType IP) or on the first address of a header (FORWARDED_IP: X-Forwarded-For behind
  CloudFront; a request without the header is not counted, one whose header holds no address gets the
  rule's action, FallbackBehavior MATCH). A scope-down statement is modelled when it is "this header
  is absent" (the collection's rule for clients that skip CloudFront).
- Anything else (AmazonIpReputationList, custom rules, other vendors) is listed as not modelled.

The exact managed rules are AWS's and unpublished; CRS blocks much the same attacks but not the same
requests one for one.
"""

from __future__ import annotations

import re

COMMON = "AWSManagedRulesCommonRuleSet"
COVERED_BY_CRS = {
    "AWSManagedRulesSQLiRuleSet": "CRS 942 (SQL injection)",
    "AWSManagedRulesKnownBadInputsRuleSet": "CRS 944 (Java, Log4j)",
}
CRS_SETUP = "/etc/modsecurity/crs/crs-setup.conf"
CRS_RULES = "/usr/share/modsecurity-crs/rules/*.conf"
CRS_EXCLUSIONS_BEFORE = "/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"
CRS_EXCLUSIONS_AFTER = "/etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"
UNICODE_MAPPING = "/etc/nginx/unicode.mapping"


def model(acl: dict | None) -> dict | None:
    """{"name", "crs", "engine", "rates", "modelled", "not_modelled"} for a web ACL (GetWebACL's WebACL), or None."""
    if not acl:
        return None
    result = {
        "name": acl["Name"],
        "key": re.sub(r"\W", "_", acl["Name"]).lower(),
        "crs": False,
        "engine": "On",
        "rates": [],
        "modelled": [],
        "not_modelled": [],
    }
    groups = {}
    for rule in sorted(acl.get("Rules") or [], key=lambda r: r.get("Priority", 0)):
        statement = rule.get("Statement") or {}
        managed = statement.get("ManagedRuleGroupStatement")
        rate = statement.get("RateBasedStatement")
        counting = "Count" in (rule.get("OverrideAction") or {}) or "Count" in (rule.get("Action") or {})
        if managed and managed.get("VendorName") == "AWS":
            groups[managed["Name"]] = counting
        elif rate and _rate_key(rate) is not None:
            window = int(rate.get("EvaluationWindowSec") or 300)
            key, header, absent = _rate_key(rate)
            result["rates"].append(
                {
                    "rule": rule["Name"],
                    "limit": int(rate["Limit"]),
                    "window": window,
                    "dry_run": counting,
                    "key": key,
                    "header": header,
                    "unless_header": absent,
                }
            )
            who = f"per first address of {header}" if key == "forwarded" else "per client IP"
            when = f", requests without {absent} only" if absent else ""
            result["modelled"].append(f"{rule['Name']}: {rate['Limit']} requests per {window}s {who}{when}")
        else:
            result["not_modelled"].append(rule["Name"])
    if COMMON in groups:
        result["crs"] = True
        result["engine"] = "DetectionOnly" if groups.pop(COMMON) else "On"
        result["modelled"].append(f"{COMMON}: OWASP CRS + AWS's documented header and size rules ({result['engine']})")
        for name, by in COVERED_BY_CRS.items():
            if groups.pop(name, None) is not None:
                result["modelled"].append(f"{name}: approximated by {by}")
    result["not_modelled"] += sorted(groups)
    return result


def _header_absent(statement: dict | None) -> str | None:
    """The header name of a "header is absent" statement (NOT size(header) > 0), else None."""
    inner = ((statement or {}).get("NotStatement") or {}).get("Statement") or {}
    size = inner.get("SizeConstraintStatement") or {}
    header = (size.get("FieldToMatch") or {}).get("SingleHeader", {}).get("Name")
    if header and size.get("ComparisonOperator") == "GT" and int(size.get("Size", -1)) == 0:
        return header
    return None


def _rate_key(rate: dict) -> tuple[str, str | None, str | None] | None:
    """(key, forwarded header, "unless this header" scope) of a rate-based statement, or None (not modelled)."""
    scope = rate.get("ScopeDownStatement")
    absent = _header_absent(scope)
    if scope and not absent:
        return None
    kind = rate.get("AggregateKeyType", "IP")
    if kind == "IP":
        return "ip", None, absent
    if kind == "FORWARDED_IP":
        config = rate.get("ForwardedIPConfig") or {}
        if config.get("FallbackBehavior", "MATCH") == "MATCH" and config.get("HeaderName"):
            return "forwarded", config["HeaderName"], absent
    return None


def modsecurity_conf(waf: dict, directory: str) -> str:
    """The ModSecurity rules file of one web ACL (ModSecurity v3 syntax)."""
    return f"""# Generated by tools/dataplane/edge.py for the web ACL {waf["name"]}; see edge_waf.py for the mapping.
SecRuleEngine {waf["engine"]}
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecResponseBodyAccess Off
SecPcreMatchLimit 100000
SecPcreMatchLimitRecursion 100000
SecTmpDir {directory}/tmp
SecDataDir {directory}/tmp
SecArgumentSeparator &
SecCookieFormat 0
SecUnicodeMapFile {UNICODE_MAPPING} 20127
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^403$"
SecAuditLogParts ABHZ
SecAuditLogType Serial
SecAuditLog {directory}/waf-{waf["key"]}-audit.log

# JSON bodies parsed as JSON (as modsecurity.conf-recommended does).
SecRule REQUEST_HEADERS:Content-Type "^application/json" \\
    "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"

# AWSManagedRulesCommonRuleSet rules that CRS lacks in this form (AWS's documented limits, action Block).
SecRule &REQUEST_HEADERS:User-Agent "@eq 0" \\
    "id:1900001,phase:1,deny,status:403,log,msg:'AWS CRS NoUserAgent_HEADER'"
SecRule REQUEST_HEADERS:User-Agent "@pm nessus nmap nikto sqlmap masscan zgrab" \\
    "id:1900002,phase:1,t:lowercase,deny,status:403,log,msg:'AWS CRS UserAgent_BadBots_HEADER'"
SecRule QUERY_STRING "@gt 2048" \\
    "id:1900003,phase:1,t:length,deny,status:403,log,msg:'AWS CRS SizeRestrictions_QUERYSTRING'"
SecRule REQUEST_HEADERS:Cookie "@gt 10240" \\
    "id:1900004,phase:1,t:length,deny,status:403,log,msg:'AWS CRS SizeRestrictions_Cookie_HEADER'"
SecRule REQUEST_FILENAME "@gt 1024" \\
    "id:1900005,phase:1,t:length,deny,status:403,log,msg:'AWS CRS SizeRestrictions_URIPATH'"
SecRule REQUEST_HEADERS:Content-Length "@gt 8192" \\
    "id:1900006,phase:1,deny,status:403,log,msg:'AWS CRS SizeRestrictions_BODY'"

# The OWASP Core Rule Set (paranoia level 1, anomaly threshold 5: crs-setup.conf's defaults).
Include {CRS_SETUP}
Include {CRS_EXCLUSIONS_BEFORE}
Include {CRS_RULES}
Include {CRS_EXCLUSIONS_AFTER}
"""


def _variable(header: str) -> str:
    return "$http_" + re.sub(r"\W", "_", header.lower())


def rate_zones(waf: dict | None) -> list[dict]:
    """nginx limit_req zones of the ACL's rate rules: the key, requests per minute and the burst."""
    zones = []
    for index, rate in enumerate((waf or {}).get("rates") or []):
        name = f"waf_{waf['key']}_{index}"
        zone = {
            "zone": name,
            "acl": waf["name"],
            "rule": rate["rule"],
            "limit": rate["limit"],
            "window": rate["window"],
            "per_minute": max(1, round(rate["limit"] * 60 / rate["window"])),
            # nginx lets one request through at the rate and `burst` more at once: limit - 1 makes `limit` in a row.
            "burst": max(0, rate["limit"] - 1),
            "dry_run": rate["dry_run"],
            "key": "$binary_remote_addr",
            "maps": [],
            "invalid_blocks": False,
        }
        if rate["key"] == "forwarded":
            # The first address of the header; none without the header (not counted); "invalid" otherwise.
            zone["key"] = f"${name}_key"
            zone["maps"].append(
                {
                    "source": _variable(rate["header"]),
                    "target": zone["key"],
                    "cases": [('""', '""'), ('"~^[\\s]*(?<address>[0-9A-Fa-f.:]+)[\\s]*(,|$)"', "$address")],
                    "default": '"invalid"',
                }
            )
            zone["invalid_blocks"] = not rate["dry_run"]
        if rate["unless_header"]:
            source = zone["key"]
            zone["key"] = f"${name}_scoped"
            zone["maps"].append(
                {
                    "source": _variable(rate["unless_header"]),
                    "target": zone["key"],
                    "cases": [('""', source)],
                    "default": '""',
                }
            )
        zones.append(zone)
    return zones
