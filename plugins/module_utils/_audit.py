# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Security audit rules for ``stack_audit``: pure functions from gathered state to findings (no boto3 here)."""

SEVERITIES = ("info", "low", "medium", "high", "critical")

# Ports that must never be open to the whole internet: SSH, RDP, databases, caches, search, admin UIs.
ADMIN_PORTS = {
    22: "SSH",
    3389: "RDP",
    27017: "MongoDB",
    27018: "MongoDB",
    27019: "MongoDB",
    3306: "MySQL",
    5432: "PostgreSQL",
    6379: "Redis",
    9200: "Elasticsearch",
    2375: "Docker API",
    8000: "uvicorn (bypasses nginx and the ALB)",
}
WORLD = ("0.0.0.0/0", "::/0")
GOOD_VIEWER_POLICIES = ("redirect-to-https", "https-only")
GOOD_CLOUDFRONT_TLS = ("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.3_2025")


def finding(rule, severity, resource, message, remediation):
    return {
        "rule": rule,
        "severity": severity,
        "resource": resource,
        "message": message,
        "remediation": remediation,
        "summary": f"{severity} {rule} {resource}: {message} (fix: {remediation})",
    }


def severity_at_least(severity, threshold):
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


def audit_buckets(buckets, website_mode):
    out = []
    for b in buckets:
        name = b["name"]
        pab = b.get("public_access_block") or {}
        fully_blocked = all(
            pab.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        )
        if not fully_blocked:
            if b.get("website") and website_mode == "s3_website":
                out.append(
                    finding(
                        "S3-001",
                        "info",
                        name,
                        "website bucket is public: the flagged exception of website_mode=s3_website",
                        "use website_mode=cloudfront to serve it privately through OAC",
                    )
                )
            else:
                out.append(
                    finding(
                        "S3-001",
                        "high",
                        name,
                        "S3 Block Public Access is not fully enabled",
                        "enable all four Block Public Access settings on the bucket",
                    )
                )
        if not b.get("encryption"):
            out.append(
                finding(
                    "S3-002",
                    "high",
                    name,
                    "no default encryption at rest",
                    "set default encryption (SSE-S3 or SSE-KMS)",
                )
            )
        if not _denies_insecure_transport(b.get("policy")):
            out.append(
                finding(
                    "S3-003",
                    "medium",
                    name,
                    "bucket policy does not deny requests without TLS",
                    "add a Deny statement on aws:SecureTransport = false",
                )
            )
    return out


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _denies_insecure_transport(policy):
    for statement in _as_list((policy or {}).get("Statement")):
        if statement.get("Effect") != "Deny":
            continue
        condition = statement.get("Condition") or {}
        for operator in ("Bool", "BoolIfExists"):
            value = (condition.get(operator) or {}).get("aws:SecureTransport")
            if str(_as_list(value)[0] if _as_list(value) else "").lower() == "false":
                return True
    return False


def audit_distributions(distributions, waf_expected):
    out = []
    for d in distributions:
        did = d["id"]
        for origin in d.get("origins", []):
            if origin.get("s3") and not origin.get("oac_id"):
                out.append(
                    finding(
                        "CF-001",
                        "high",
                        did,
                        "S3 origin {} is reached without Origin Access Control".format(origin.get("id")),
                        "attach an OAC and allow only it in the bucket policy",
                    )
                )
        bad = sorted(set(p for p in d.get("viewer_protocol_policies", []) if p not in GOOD_VIEWER_POLICIES))
        if bad:
            out.append(
                finding(
                    "CF-002",
                    "high",
                    did,
                    "cache behaviors allow plain HTTP ({})".format(", ".join(bad)),
                    "set viewer_protocol_policy to redirect-to-https",
                )
            )
        if d.get("aliases") and d.get("min_protocol_version") not in GOOD_CLOUDFRONT_TLS:
            out.append(
                finding(
                    "CF-003",
                    "medium",
                    did,
                    "viewer TLS policy {} allows TLS older than 1.2".format(d.get("min_protocol_version")),
                    "use TLSv1.2_2021",
                )
            )
        if waf_expected and not d.get("web_acl_id"):
            out.append(
                finding(
                    "CF-004",
                    "high",
                    did,
                    "no WAF web ACL is associated",
                    "associate the environment's web ACL (waf_mode is not off)",
                )
            )
    return out


def _covers(permission, port):
    if permission.get("IpProtocol") == "-1":
        return True
    if permission.get("IpProtocol") not in ("tcp", "6"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is not None and high is not None and low <= port <= high


def _world_open(permission):
    cidrs = [r.get("CidrIp") for r in permission.get("IpRanges", [])]
    cidrs += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
    return any(c in WORLD for c in cidrs)


def audit_security_groups(groups):
    out = []
    for g in groups:
        for permission in g.get("IpPermissions", []):
            if not _world_open(permission):
                continue
            open_ports = [p for p in sorted(ADMIN_PORTS) if _covers(permission, p)]
            if open_ports:
                out.append(
                    finding(
                        "EC2-001",
                        "critical",
                        g["GroupId"],
                        "open to the internet on {}".format(", ".join(f"{p} ({ADMIN_PORTS[p]})" for p in open_ports)),
                        "remove the 0.0.0.0/0 rule; reach hosts through SSM Session Manager",
                    )
                )
    return out


def audit_instances(instances, volumes):
    out = []
    for i in instances:
        if (i.get("MetadataOptions") or {}).get("HttpTokens") != "required":
            out.append(
                finding(
                    "EC2-002",
                    "high",
                    i["InstanceId"],
                    "IMDSv1 is allowed (HttpTokens is not required)",
                    "set metadata_options.http_tokens=required (IMDSv2 only)",
                )
            )
    for v in volumes:
        if not v.get("Encrypted"):
            out.append(
                finding(
                    "EC2-003",
                    "high",
                    v["VolumeId"],
                    "EBS volume is not encrypted",
                    "enable EBS encryption by default and replace the volume",
                )
            )
    return out


def audit_launch_templates(versions):
    out = []
    for v in versions:
        data = v.get("LaunchTemplateData") or {}
        name = "{} v{}".format(v.get("LaunchTemplateName"), v.get("VersionNumber"))
        if (data.get("MetadataOptions") or {}).get("HttpTokens") != "required":
            out.append(
                finding(
                    "EC2-004",
                    "high",
                    name,
                    "launch template allows IMDSv1",
                    "set MetadataOptions.HttpTokens=required in the launch template",
                )
            )
        for mapping in data.get("BlockDeviceMappings", []):
            ebs = mapping.get("Ebs")
            if ebs is not None and not ebs.get("Encrypted"):
                out.append(
                    finding(
                        "EC2-005",
                        "high",
                        name,
                        "launch template volume {} is not encrypted".format(mapping.get("DeviceName")),
                        "set Ebs.Encrypted=true",
                    )
                )
    return out


def audit_load_balancers(load_balancers, waf_expected):
    out = []
    for lb in load_balancers:
        for listener in lb.get("listeners", []):
            if listener.get("Protocol") == "HTTP":
                actions = listener.get("DefaultActions", [])
                if not any(
                    a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
                    for a in actions
                ):
                    out.append(
                        finding(
                            "ALB-001",
                            "high",
                            lb["name"],
                            "HTTP listener on port {} serves plain HTTP".format(listener.get("Port")),
                            "redirect HTTP to HTTPS",
                        )
                    )
            if (
                listener.get("Protocol") == "HTTPS"
                and "TLS13" not in (listener.get("SslPolicy") or "")
                and "TLS-1-2" not in (listener.get("SslPolicy") or "")
            ):
                out.append(
                    finding(
                        "ALB-002",
                        "medium",
                        lb["name"],
                        "HTTPS listener policy {} allows TLS older than 1.2".format(listener.get("SslPolicy")),
                        "use ELBSecurityPolicy-TLS13-1-2-2021-06",
                    )
                )
        if waf_expected and not lb.get("web_acl_arn"):
            out.append(
                finding(
                    "ALB-003",
                    "high",
                    lb["name"],
                    "no WAF web ACL is associated",
                    "associate the environment's regional web ACL",
                )
            )
    return out


def audit_log_groups(log_groups):
    return [
        finding(
            "LOG-001",
            "medium",
            g["logGroupName"],
            "log group keeps logs forever (no retention)",
            "set a retention on the log group",
        )
        for g in log_groups
        if not g.get("retentionInDays")
    ]


def audit_monitoring(alarm_names, monitoring_expected, budget_name, budget_found):
    out = []
    if monitoring_expected and not alarm_names:
        out.append(
            finding("MON-001", "medium", "cloudwatch", "no alarms of the environment exist", "run the cloudwatch role")
        )
    if budget_name and not budget_found:
        out.append(
            finding(
                "MON-002",
                "medium",
                budget_name,
                "the environment's cost budget does not exist",
                "create the budget (the cloudwatch role does, with its budget on)",
            )
        )
    return out


def audit_topic(name, subscriptions):
    """The alert topic must exist (``subscriptions`` None means it does not) and reach someone."""
    if subscriptions is None:
        return [finding("MON-004", "medium", name, "the alert topic does not exist", "run the cloudwatch role")]
    if not subscriptions:
        return [
            finding("MON-005", "low", name, "the alert topic has no subscriptions", "subscribe the alert addresses")
        ]
    return []


def summarise(findings, policy_level, fail_severity):
    """Counts per severity and the verdict: (summary, status) with status ok, warn or fail."""
    counts = dict((s, 0) for s in SEVERITIES)
    for f in findings:
        counts[f["severity"]] += 1
    blocking = [f for f in findings if severity_at_least(f["severity"], fail_severity)]
    if not blocking:
        status = "ok"
    elif policy_level == "strict":
        status = "fail"
    elif policy_level == "warning":
        status = "warn"
    else:
        status = "ok"
    return {"counts": counts, "blocking": len(blocking)}, status
