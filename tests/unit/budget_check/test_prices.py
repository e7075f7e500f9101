"""budget_check: the dated price table, the itemised estimate per environment, and the policy verdict."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _prices as prices

TABLE = prices.PRICE_TABLE

# The environments of inventories/<env> as preflight/tasks/cost.yml passes them (role defaults for sizes).
ENVS = {
    "dev": dict(backend_mode="single", nat_mode="none", website_mode="s3_website", waf_mode="off",
                monitoring_level="essential", backup_mode="off", custom_domain=False),
    "staging": dict(backend_mode="asg", nat_mode="single", website_mode="cloudfront", waf_mode="block",
                    monitoring_level="standard", backup_mode="daily", custom_domain=False),
    "prod": dict(backend_mode="asg", nat_mode="per_az", website_mode="cloudfront", waf_mode="block",
                 monitoring_level="full", backup_mode="daily_aws_backup", custom_domain=True),
}  # fmt: skip


def test_table_is_dated_and_positive():
    assert TABLE["date"] == prices.PRICE_TABLE_DATE and TABLE["currency"] == "USD"
    assert all(v > 0 for v in TABLE["ec2_hourly"].values())
    # Same family, next size: twice the price.
    assert TABLE["ec2_hourly"]["t3.medium"] == pytest.approx(2 * TABLE["ec2_hourly"]["t3.small"])


@pytest.mark.parametrize(
    ("setup", "spec", "expected_total"),
    [
        ("small", dict(instance_type="t3.small", atlas_tier="M10", data_transfer_gb=100), 120),
        ("medium", dict(instance_type="t3.medium", atlas_tier="M10", data_transfer_gb=300), 170),
        ("large", dict(instance_type="c5.large", instance_count=3, atlas_tier="M30", data_transfer_gb=550), 555),
    ],
)
def test_reference_setups_are_priced_within_ten_percent(setup, spec, expected_total):
    """Three reference setups (two/three instances, ALB, S3 + CloudFront, MongoDB Atlas) and their monthly totals."""
    full = dict(backend_mode="asg", database_mode="atlas", website_mode="cloudfront", monitoring_level="essential")
    full.update(spec)
    _, total = prices.estimate(full, TABLE)
    assert total == pytest.approx(expected_total, rel=0.10), setup


def test_reference_line_items():
    items, _ = prices.estimate(dict(backend_mode="asg", instance_type="t3.small", database_mode="none"), TABLE)
    by_name = {i["item"]: i["monthly_usd"] for i in items}
    assert by_name["EC2 t3.small x2 (backend)"] == pytest.approx(30.37, abs=0.01)  # about $30 a month
    alb = by_name["Application Load Balancer"] + by_name["ALB capacity units (1 LCU)"]
    assert alb == pytest.approx(22.27, abs=0.01)  # about $20 before capacity units


@pytest.mark.parametrize(("env", "low", "high"), [("dev", 30, 45), ("staging", 100, 140), ("prod", 160, 200)])
def test_estimate_per_environment(env, low, high):
    items, total = prices.estimate(ENVS[env], TABLE)
    assert low <= total <= high
    assert total == pytest.approx(sum(i["monthly_usd"] for i in items), abs=0.01)


def _names(spec):
    return {i["item"] for i in prices.estimate(spec, TABLE)[0]}


def test_flags_add_and_remove_items():
    names = _names
    prod, dev = names(ENVS["prod"]), names(ENVS["dev"])
    assert {"NAT gateway x2", "WAF web ACL x1", "Route 53 hosted zone", "AWS Backup snapshots"} <= prod
    assert not any(n.startswith(("NAT", "WAF", "Route 53", "AWS Backup", "Application Load")) for n in dev)
    assert "Public IPv4 (backend instance)" in dev
    assert "CloudWatch dashboard" in prod and "CloudWatch dashboard" not in dev


def test_nat_mode_scales_cost():
    single = prices.estimate(dict(ENVS["staging"], nat_mode="single"), TABLE)[1]
    per_az = prices.estimate(dict(ENVS["staging"], nat_mode="per_az", az_count=2), TABLE)[1]
    assert per_az - single == pytest.approx((0.045 + 0.005) * 730, abs=0.05)  # one more gateway and its address


def test_overrides_merge_and_unknown_prices_name_the_fix():
    table = prices.merge_price_table({"ec2_hourly": {"x9.huge": 1.0}, "alb_hourly": 0.03})
    assert table["ec2_hourly"]["t3.small"] == TABLE["ec2_hourly"]["t3.small"]
    assert table["ec2_hourly"]["x9.huge"] == 1.0 and table["alb_hourly"] == 0.03
    assert prices.PRICE_TABLE["alb_hourly"] == 0.0225  # the shipped table is untouched
    with pytest.raises(ValueError, match=r"no price for instance type 'z1.tiny' \(instance_type\).*price_table"):
        prices.estimate(dict(instance_type="z1.tiny"), TABLE)


@pytest.mark.parametrize(
    ("total", "policy", "status"),
    [
        (40, "strict", "ok"),
        (50, "strict", "ok"),
        (60, "informational", "ok"),
        (60, "warning", "warn"),
        (60, "strict", "fail"),
    ],
)
def test_verdict_applies_the_policy_level(total, policy, status):
    got, message = prices.verdict(total, 50, policy)
    assert got == status
    if total > 50:
        assert message.startswith(f"estimated ${total:.2f}/month exceeds the $50.00 budget")


def test_verdict_rejects_a_non_positive_budget():
    with pytest.raises(ValueError, match="budget_usd must be a positive"):
        prices.verdict(10, 0, "strict")


def test_access_logs_are_priced_when_the_environment_keeps_them():
    prod = dict(ENVS["prod"])
    without, total_without = prices.estimate(prod, TABLE)
    items, total = prices.estimate(dict(prod, access_logs=True, access_logs_gb=10), TABLE)
    added = {i["item"]: i["monthly_usd"] for i in items if i["item"] not in {w["item"] for w in without}}
    # 10 GB kept in S3 (0.023), 2 GB of CloudFront v2 delivery (0.25) and 2 GB of WAF logs ingested (0.50).
    assert added == {
        "Access logs in the log bucket": pytest.approx(0.23),
        "CloudFront standard logs (v2) delivery": pytest.approx(0.5),
        "WAF logs to CloudWatch Logs": pytest.approx(1.0),
    }
    assert total == pytest.approx(total_without + 1.73, abs=0.01)
    # dev (S3 website, no WAF) with logs on: only the bucket.
    dev_items, _ = prices.estimate(dict(ENVS["dev"], access_logs=True), TABLE)
    assert [
        i["item"] for i in dev_items if "log" in i["item"].lower() and "CloudWatch Logs ingestion" not in i["item"]
    ] == ["Access logs in the log bucket"]
