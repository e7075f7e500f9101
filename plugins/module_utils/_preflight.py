# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-field checks of an environment's inputs, before any AWS call.

Argument specs check each variable alone (type, choices); these rules check what only makes sense
together: CIDRs that overlap, a domain the environment needs, names AWS would reject. Each problem
names the variable and the fix. Pure functions, no AWS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import math
import re

ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TAG_KEY_RE = re.compile(r"^[\w .:/=+\-@]{1,128}$", re.UNICODE)
TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{0,256}$", re.UNICODE)
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
INSTANCE_TYPE_RE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal)$")
# Families the collection's price table knows; an unknown family is most likely a typo.
KNOWN_FAMILIES = (
    "t3", "t3a", "t4g", "m5", "m6i", "m6a", "m6g", "m7i", "m7g", "c5", "c6i", "c6g", "c7i", "c7g",
    "r5", "r6i", "r6g", "r7i", "r7g",
)  # fmt: skip
STANDARD_TAG_KEYS = ("Project", "Environment", "ManagedBy")
# The longest names built from "<project>-<env>" must fit AWS limits (ALB and target group: 32).
NAME_LIMITS = (("-tg", 32, "target group"), ("-alb", 32, "load balancer"), ("-frontend", 63, "S3 bucket"))


def _cidr(value, variable, problems, private=True):
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        problems.append(
            f"{variable}: {value!r} is not a valid IPv4 network; write it like 10.20.0.0/16 (host bits zero)"
        )
        return None
    if net.version != 4:
        problems.append(f"{variable}: {value} is IPv6; give the IPv4 range, like 10.20.0.0/16")
        return None
    if private and not net.is_private:
        problems.append(
            f"{variable}: {value} is not a private (RFC 1918) range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        )
    return net


def check_network(config, problems):
    vpc = _cidr(config.get("vpc_cidr_block"), "vpc_cidr_block", problems)
    if vpc is None:
        return
    if not 16 <= vpc.prefixlen <= 24:
        problems.append(
            f"vpc_cidr_block: /{vpc.prefixlen} is outside what AWS allows for a VPC with room for subnets; use /16 to /24"
        )
    subnets = []
    for variable in ("vpc_public_subnet_cidrs", "vpc_private_subnet_cidrs"):
        cidrs = config.get(variable) or []
        if cidrs and len(cidrs) != config.get("vpc_az_count", 2):
            problems.append(
                f"{variable}: {len(cidrs)} CIDRs for {config.get('vpc_az_count', 2)} availability zones; give one per zone"
            )
        for cidr in cidrs:
            net = _cidr(cidr, variable, problems)
            if net is None:
                continue
            if not net.subnet_of(vpc):
                problems.append(
                    f"{variable}: {cidr} is outside vpc_cidr_block {vpc}; pick subnets inside the VPC range"
                )
            subnets.append((variable, net))
    for i, (var_a, a) in enumerate(subnets):
        for var_b, b in subnets[i + 1 :]:
            if a.overlaps(b):
                problems.append(f"{var_b}: {b} overlaps {a} ({var_a}); give each subnet its own range")
    for other_env, other in sorted((config.get("other_env_cidrs") or {}).items()):
        net = _cidr(other, f"other_env_cidrs.{other_env}", problems)
        if net is not None and net.overlaps(vpc):
            problems.append(
                f"vpc_cidr_block: {vpc} overlaps the {other_env} environment's {net}; give each environment its own range "
                "so they can be peered"
            )
    for variable in ("vpc_app_public_ingress_cidrs",):
        for cidr in config.get(variable) or []:
            net = _cidr(cidr, variable, problems, private=False)
            if net is not None and net.prefixlen == 0 and config.get("environment") == "prod":
                problems.append(
                    f"{variable}: 0.0.0.0/0 exposes backend instances directly in prod; use the load balancer"
                )


def check_flags(config, problems, exceptions):
    env = config.get("environment")
    website = config.get("website_mode")
    custom_domain = bool(config.get("custom_domain"))
    domain = config.get("domain") or ""
    if custom_domain and not domain:
        problems.append(
            "webstack_domain: empty, but webstack_custom_domain is true; set the apex domain (e.g. example.com)"
        )
    if domain and not DOMAIN_RE.match(domain.lower().rstrip(".")):
        problems.append(f"webstack_domain: {domain!r} is not a valid domain name; use a form like shop.example.com")
    if env == "prod" and not custom_domain:
        problems.append(
            "webstack_custom_domain: prod serves its own domain over TLS; set it to true with webstack_domain"
        )
    if custom_domain and website == "s3_website":
        problems.append(
            "webstack_website_mode: s3_website cannot serve a custom domain over TLS; use cloudfront with webstack_custom_domain"
        )
    if website == "s3_website":
        if env == "prod":
            problems.append(
                "webstack_website_mode: prod must not serve the site from a public S3 website; use cloudfront"
            )
        exceptions.append(
            "website: served from a public S3 website endpoint (no CDN, no TLS, public-read objects) — the explicit, "
            "flagged exception to private buckets, allowed outside prod for cost"
        )
    waf = config.get("waf_mode")
    if waf != "off" and website != "cloudfront" and config.get("backend_mode") != "asg":
        problems.append(
            f"webstack_waf_mode: {waf} but nothing can carry a web ACL (no CloudFront, no load balancer); "
            "set it to off or use cloudfront / an asg backend"
        )
    if env == "prod" and waf == "off":
        problems.append(
            "webstack_waf_mode: prod runs with a web application firewall; set it to block (or count while tuning)"
        )
    if env == "prod" and config.get("backend_mode") == "single":
        problems.append("webstack_backend_mode: single has no load balancer or redundancy; prod uses asg")
    if config.get("backup_mode") == "off" and env == "prod":
        problems.append("webstack_backup_mode: prod keeps backups; set daily or daily_aws_backup")
    if config.get("mongodb_mode") == "atlas" and config.get("mongodb_atlas_uri_set") is False:
        problems.append(
            "mongodb_atlas_uri: mongodb_mode is atlas but no connection string is set; put the cluster's "
            "mongodb+srv://... URI in the inventory's vault, or use webstack_mongodb_mode: self_hosted"
        )
    budget = config.get("budget_usd")
    try:
        amount = float(budget)
    except (TypeError, ValueError):
        amount = None
    if amount is None or math.isnan(amount) or amount <= 0:
        problems.append(f"webstack_budget_usd: {budget!r} is not a positive number of dollars a month; set e.g. 75")
    for email in config.get("alert_emails") or []:
        if not EMAIL_RE.match(str(email)):
            problems.append(f"webstack_alert_emails: {email!r} is not an e-mail address")
    if config.get("monitoring_level") == "full" and not config.get("alert_emails"):
        problems.append("webstack_alert_emails: full monitoring sends alarms to SNS e-mail; list at least one address")


def check_names(config, problems):
    project = str(config.get("project") or "")
    env = config.get("environment")
    if env not in ENVIRONMENTS:
        problems.append(f"webstack_env: {env!r} is not an environment; use one of {', '.join(ENVIRONMENTS)}")
    if not PROJECT_RE.match(project):
        problems.append(
            f"webstack_project: {project!r} must be 2-20 lowercase letters, digits or dashes, starting with a letter "
            "(it prefixes bucket and load balancer names)"
        )
    region = str(config.get("region") or "")
    if not REGION_RE.match(region):
        problems.append(f"webstack_region: {region!r} is not an AWS region name; use a form like us-east-1")
    base = f"{project}-{env}"
    for suffix, limit, what in NAME_LIMITS:
        if len(base + suffix) > limit:
            problems.append(
                f"webstack_project: {base + suffix!r} ({what} name) is longer than AWS's {limit} characters; shorten the project name"
            )
    for variable, bucket in sorted((config.get("bucket_names") or {}).items()):
        if bucket and (not BUCKET_RE.match(bucket) or ".." in bucket):
            problems.append(
                f"{variable}: {bucket!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, dashes)"
            )


def check_tags(config, problems):
    tags = config.get("extra_tags") or {}
    if not isinstance(tags, dict):
        problems.append("webstack_extra_tags: must be a mapping of tag keys to values, like {CostCenter: web}")
        return
    if len(tags) > 40:
        problems.append(
            f"webstack_extra_tags: {len(tags)} tags, AWS allows 50 per resource and we add a few; keep at most 40"
        )
    for key, value in tags.items():
        key_text = str(key)
        if key_text in STANDARD_TAG_KEYS:
            problems.append(f"webstack_extra_tags: {key_text} is a standard tag set by the collection; remove it")
        elif key_text.lower().startswith("aws:"):
            problems.append(f"webstack_extra_tags: {key_text!r} uses the reserved aws: prefix; rename the tag")
        elif not TAG_KEY_RE.match(key_text):
            problems.append(
                f"webstack_extra_tags: key {key_text!r} must be 1-128 letters, digits, spaces or _ . : / = + - @"
            )
        if value is None or isinstance(value, (dict, list)) or not TAG_VALUE_RE.match(str(value)):
            problems.append(
                f"webstack_extra_tags: value of {key_text!r} must be text up to 256 characters (letters, digits, _ . : / = + - @)"
            )


def check_instance_types(config, problems):
    for variable, instance_type in sorted((config.get("instance_types") or {}).items()):
        text = str(instance_type or "")
        if not INSTANCE_TYPE_RE.match(text) or text.split(".", maxsplit=1)[0] not in KNOWN_FAMILIES:
            problems.append(
                f"{variable}: {text!r} is not an instance type this collection knows; use one like t3.small or m6i.large"
            )


def check_sizes(config, problems):
    sizes = config.get("sizes") or {}
    low, high, want = sizes.get("asg_min_size"), sizes.get("asg_max_size"), sizes.get("asg_desired_capacity")
    if None not in (low, high) and int(low) > int(high):
        problems.append(f"asg_min_size: {low} is larger than asg_max_size {high}; make min <= desired <= max")
    if None not in (low, high, want) and not int(low) <= int(want) <= int(high):
        problems.append(f"asg_desired_capacity: {want} is outside asg_min_size..asg_max_size ({low}..{high})")


def review(config):
    """All problems (each a sentence naming the variable and the fix) and the flagged exceptions."""
    problems, exceptions = [], []
    check_names(config, problems)
    check_tags(config, problems)
    check_flags(config, problems, exceptions)
    check_network(config, problems)
    check_instance_types(config, problems)
    check_sizes(config, problems)
    return problems, exceptions
