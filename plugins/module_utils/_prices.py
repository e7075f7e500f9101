# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A dated AWS price table (us-east-1, on-demand, USD) and the pure monthly cost estimate.

The Pricing API and Cost Explorer forecasts are not something a preflight check can rely on
(they need extra permissions, are slow, and the emulator lacks them), so the collection ships
this table. Users override any entry with ``budget_check``'s ``price_table`` option.
No boto3 here: everything is unit-tested with plain pytest.
"""

import copy

HOURS_PER_MONTH = 730

# Prices as published on the AWS pricing pages for us-east-1 (on-demand, Linux) on PRICE_TABLE_DATE.
PRICE_TABLE_DATE = "2025-06-01"
PRICE_TABLE = {
    "date": PRICE_TABLE_DATE,
    "region": "us-east-1",
    "currency": "USD",
    # EC2 on-demand, USD per hour.
    "ec2_hourly": {
        "t3.nano": 0.0052,
        "t3.micro": 0.0104,
        "t3.small": 0.0208,
        "t3.medium": 0.0416,
        "t3.large": 0.0832,
        "t3.xlarge": 0.1664,
        "t3a.micro": 0.0094,
        "t3a.small": 0.0188,
        "t3a.medium": 0.0376,
        "t3a.large": 0.0752,
        "t4g.micro": 0.0084,
        "t4g.small": 0.0168,
        "t4g.medium": 0.0336,
        "t4g.large": 0.0672,
        "m5.large": 0.096,
        "m5.xlarge": 0.192,
        "m6i.large": 0.096,
        "m6i.xlarge": 0.192,
        "m7g.large": 0.0816,
        "c5.large": 0.085,
        "c5.xlarge": 0.17,
        "c6i.large": 0.085,
        "c7g.large": 0.0725,
        "r5.large": 0.126,
        "r6i.large": 0.126,
    },
    # EBS gp3, USD per GB-month.
    "ebs_gp3_gb_month": 0.08,
    # Public IPv4 address, USD per hour (charged since 2024-02-01).
    "public_ipv4_hourly": 0.005,
    # Application Load Balancer: hourly charge plus LCU-hours (one LCU assumed for a small site).
    "alb_hourly": 0.0225,
    "alb_lcu_hourly": 0.008,
    # NAT gateway: hourly charge plus data processed, USD per GB.
    "nat_gateway_hourly": 0.045,
    "nat_gateway_gb": 0.045,
    # CloudFront: data transfer out to the internet (first 10 TB, USD per GB), HTTPS requests per 10 000.
    "cloudfront_gb": 0.085,
    "cloudfront_https_per_10k": 0.01,
    # Data transfer out from EC2/S3 to the internet, USD per GB (after the free 100 GB).
    "data_transfer_out_gb": 0.09,
    # WAF: web ACL and rule, USD per month; requests, USD per million.
    "waf_web_acl_month": 5.0,
    "waf_rule_month": 1.0,
    "waf_requests_per_million": 0.6,
    # Route 53: hosted zone per month, standard queries per million.
    "route53_zone_month": 0.5,
    "route53_queries_per_million": 0.4,
    # CloudWatch: standard-resolution alarm, dashboard (first three free per account), log ingestion and storage.
    "cloudwatch_alarm_month": 0.10,
    "cloudwatch_dashboard_month": 3.0,
    "cloudwatch_logs_ingest_gb": 0.50,
    "cloudwatch_logs_storage_gb_month": 0.03,
    # Vended logs (CloudFront standard logs v2) delivered to S3, USD per GB (first 10 TB).
    "vended_logs_s3_gb": 0.25,
    # S3 Standard storage, USD per GB-month; GET requests per 1000.
    "s3_standard_gb_month": 0.023,
    "s3_get_per_1k": 0.0004,
    # AWS Backup of EBS volumes (snapshot storage), USD per GB-month.
    "backup_ebs_gb_month": 0.05,
    # AWS Budgets: the first two budgets of an account are free; then per budget-day.
    "budget_day": 0.02,
    # MongoDB Atlas dedicated/shared tiers on AWS, USD per month.
    "atlas_month": {"M0": 0.0, "M2": 9.0, "M5": 25.0, "M10": 57.0, "M20": 146.0, "M30": 285.0, "M40": 745.0},
}

# The alarms and dashboards the cloudwatch role creates per monitoring level (the estimate must match it).
MONITORING_SCOPE = {
    "essential": {"alarms": 2, "dashboards": 0, "log_gb": 1},
    "standard": {"alarms": 5, "dashboards": 1, "log_gb": 5},
    "full": {"alarms": 8, "dashboards": 1, "log_gb": 10},
}


def merge_price_table(overrides):
    """The shipped table with the user's overrides applied (nested dicts merge key by key)."""
    table = copy.deepcopy(PRICE_TABLE)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(table.get(key), dict):
            table[key].update(value)
        else:
            table[key] = value
    return table


def _item(items, name, quantity, unit, unit_price, *, note=""):
    monthly = round(quantity * unit_price, 2)
    items.append(
        {
            "item": name,
            "quantity": quantity,
            "unit": unit,
            "unit_price_usd": unit_price,
            "monthly_usd": monthly,
            "note": note,
        }
    )


def _ec2_price(table, instance_type, what):
    try:
        return table["ec2_hourly"][instance_type]
    except KeyError:
        raise ValueError(
            f"no price for instance type {instance_type!r} ({what}); add it with price_table: "
            f"{{ec2_hourly: {{{instance_type}: <USD per hour>}}}}"
        ) from None


class LineItems:
    """The priced lines of one estimate; each ``add`` is one line of the breakdown."""

    def __init__(self, spec, table):
        self.spec, self.table, self.items = spec, table, []

    def add(self, name, quantity, unit, price_key, *, note=""):
        """A line priced from the table's ``price_key`` (a nested key as a tuple, like ("atlas_month", "M10"))."""
        _item(self.items, name, quantity, unit, self.price(price_key), note=note)

    def price(self, key):
        if isinstance(key, (int, float)):
            return key
        keys = key if isinstance(key, tuple) else (key,)
        value = self.table
        for part in keys:
            value = value[part]
        return value


# The estimate is the sum of these, in order; each prices one part of the stack from the module's options (spec).
# To price something new: a function here (and its unit prices in PRICE_TABLE, its sizes as budget_check options).


def backend_compute(lines):
    backend = lines.spec.get("backend_mode", "asg")
    if backend == "none":
        return
    count = 1 if backend == "single" else int(lines.spec.get("instance_count", 2))
    itype = lines.spec.get("instance_type", "t3.small")
    price = _ec2_price(lines.table, itype, "instance_type")
    lines.add(f"EC2 {itype} x{count} (backend)", count * HOURS_PER_MONTH, "instance-hours", price)
    lines.add("EBS gp3 (backend)", count * int(lines.spec.get("volume_size_gb", 20)), "GB-month", "ebs_gp3_gb_month")
    if backend == "single":
        lines.add("Public IPv4 (backend instance)", HOURS_PER_MONTH, "address-hours", "public_ipv4_hourly")


def load_balancer(lines):
    if lines.spec.get("backend_mode", "asg") != "asg":
        return
    lines.add("Application Load Balancer", HOURS_PER_MONTH, "hours", "alb_hourly")
    lines.add("ALB capacity units (1 LCU)", HOURS_PER_MONTH, "LCU-hours", "alb_lcu_hourly")
    azs = int(lines.spec.get("az_count", 2))
    lines.add("Public IPv4 (ALB, one per AZ)", azs * HOURS_PER_MONTH, "address-hours", "public_ipv4_hourly")


def nat_gateways(lines):
    nat_mode = lines.spec.get("nat_mode", "none")
    count = {"none": 0, "single": 1, "per_az": int(lines.spec.get("az_count", 2))}[nat_mode]
    if not count:
        return
    lines.add(f"NAT gateway x{count}", count * HOURS_PER_MONTH, "hours", "nat_gateway_hourly")
    lines.add(f"NAT gateway public IPv4 x{count}", count * HOURS_PER_MONTH, "address-hours", "public_ipv4_hourly")
    lines.add("NAT gateway data processed", float(lines.spec.get("nat_data_gb", 10)), "GB", "nat_gateway_gb")


def database(lines):
    db_mode = lines.spec.get("database_mode", "self_hosted")
    if db_mode == "self_hosted":
        dtype = lines.spec.get("database_instance_type", "t3.small")
        price = _ec2_price(lines.table, dtype, "database_instance_type")
        lines.add(f"EC2 {dtype} (MongoDB)", HOURS_PER_MONTH, "instance-hours", price)
        lines.add(
            "EBS gp3 (MongoDB data)", int(lines.spec.get("database_volume_gb", 20)), "GB-month", "ebs_gp3_gb_month"
        )
    elif db_mode == "atlas":
        tier = lines.spec.get("atlas_tier", "M10")
        if tier not in lines.table["atlas_month"]:
            raise ValueError(
                f"no price for MongoDB Atlas tier {tier!r} (atlas_tier); add it to price_table.atlas_month"
            )
        lines.add(f"MongoDB Atlas {tier}", 1, "month", ("atlas_month", tier))


def website(lines):
    traffic_gb = float(lines.spec.get("data_transfer_gb", 50))
    requests_m = float(lines.spec.get("requests_millions", 1))
    lines.add("S3 Standard (website)", float(lines.spec.get("s3_storage_gb", 1)), "GB-month", "s3_standard_gb_month")
    if lines.spec.get("website_mode", "cloudfront") == "cloudfront":
        lines.add("CloudFront data transfer", traffic_gb, "GB", "cloudfront_gb")
        lines.add("CloudFront HTTPS requests", requests_m * 100, "10k requests", "cloudfront_https_per_10k")
    else:
        billable = max(0.0, traffic_gb - 100)
        lines.add("S3 data transfer out (beyond the free 100 GB)", billable, "GB", "data_transfer_out_gb")
        lines.add("S3 GET requests", requests_m * 1000, "1k requests", "s3_get_per_1k")


def web_acls(lines):
    if lines.spec.get("waf_mode", "off") == "off":
        return
    acls = int(lines.spec.get("waf_web_acl_count", 1))
    rules = int(lines.spec.get("waf_rule_count", 4))
    lines.add(f"WAF web ACL x{acls}", acls, "ACL-months", "waf_web_acl_month")
    lines.add(f"WAF rules x{rules} per ACL", acls * rules, "rule-months", "waf_rule_month")
    lines.add(
        "WAF requests", float(lines.spec.get("requests_millions", 1)), "million requests", "waf_requests_per_million"
    )


def dns(lines):
    if not lines.spec.get("custom_domain", False):
        return
    lines.add("Route 53 hosted zone", int(lines.spec.get("route53_zones", 1)), "zone-months", "route53_zone_month")
    lines.add(
        "Route 53 queries",
        float(lines.spec.get("requests_millions", 1)),
        "million queries",
        "route53_queries_per_million",
    )


def monitoring(lines):
    scope = MONITORING_SCOPE[lines.spec.get("monitoring_level", "standard")]
    lines.add(
        "CloudWatch alarms x{}".format(scope["alarms"]), scope["alarms"], "alarm-months", "cloudwatch_alarm_month"
    )
    if scope["dashboards"]:
        lines.add(
            "CloudWatch dashboard",
            scope["dashboards"],
            "dashboard-months",
            "cloudwatch_dashboard_month",
            note="the first three per account are free",
        )
    lines.add("CloudWatch Logs ingestion", scope["log_gb"], "GB", "cloudwatch_logs_ingest_gb")


def backups(lines):
    backup = lines.spec.get("backup_mode", "off")
    if backup != "off":
        lines.add(
            "S3 backups (mongodump)", float(lines.spec.get("backup_storage_gb", 10)), "GB-month", "s3_standard_gb_month"
        )
    if backup == "daily_aws_backup":
        lines.add(
            "AWS Backup snapshots", float(lines.spec.get("backup_snapshot_gb", 40)), "GB-month", "backup_ebs_gb_month"
        )


def access_logs(lines):
    """webstack_access_logs: S3 server access, ALB and CloudFront logs kept in the log bucket, CloudFront's
    delivered by CloudWatch Logs (standard logs v2, charged per GB), WAF's ingested into CloudWatch Logs."""
    if not lines.spec.get("access_logs", False):
        return
    log_gb = float(lines.spec.get("access_logs_gb", 10))
    lines.add("Access logs in the log bucket", log_gb, "GB-month", "s3_standard_gb_month")
    if lines.spec.get("website_mode", "cloudfront") == "cloudfront":
        lines.add("CloudFront standard logs (v2) delivery", log_gb / 5, "GB", "vended_logs_s3_gb")
    if lines.spec.get("waf_mode", "off") != "off":
        lines.add("WAF logs to CloudWatch Logs", log_gb / 5, "GB", "cloudwatch_logs_ingest_gb")


LINE_ITEMS = (
    backend_compute,
    load_balancer,
    nat_gateways,
    database,
    website,
    web_acls,
    dns,
    monitoring,
    backups,
    access_logs,
)


def estimate(spec, table):
    """Itemised monthly cost of an environment described by ``spec`` (the module's options).

    Returns (items, total). Raises ValueError for a price the table lacks.
    """
    lines = LineItems(spec, table)
    for price_lines in LINE_ITEMS:
        price_lines(lines)
    total = round(sum(i["monthly_usd"] for i in lines.items), 2)
    return lines.items, total


def verdict(total, budget, policy_level):
    """What the policy level makes of the estimate: (status, message). status is ok, warn or fail."""
    if budget <= 0:
        raise ValueError("budget_usd must be a positive number of USD per month")
    pct = round(100.0 * total / budget, 1)
    if total <= budget:
        return "ok", f"estimated ${total:.2f}/month is {pct}% of the ${budget:.2f} budget"
    message = (
        f"estimated ${total:.2f}/month exceeds the ${budget:.2f} budget ({pct}%); lower the sizes priced here "
        "or raise budget_usd"
    )
    if policy_level == "strict":
        return "fail", message
    if policy_level == "warning":
        return "warn", message
    return "ok", message
