"""Bad inventories fail in preflight, with a message naming the variable and the fix, and create nothing."""

import boto3
import pytest
import webstack_test as wt

CASES = [
    # (environment, extra vars, text the failure must contain)
    ("dev", {"webstack_env": "qa"}, "webstack_env"),
    ("dev", {"vpc_cidr_block": "10.10.0.0/33"}, "vpc_cidr_block: '10.10.0.0/33' is not a valid IPv4 network"),
    (
        "staging",
        {"vpc_public_subnet_cidrs": ["10.20.0.0/24", "10.20.0.128/25"]},
        "vpc_public_subnet_cidrs: 10.20.0.128/25 overlaps",
    ),
    ("prod", {"webstack_domain": ""}, "webstack_domain: empty, but webstack_custom_domain is true"),
    ("dev", {"webstack_budget_usd": -10}, "webstack_budget_usd: -10 is not a positive number"),
    ("staging", {"webstack_budget_usd": "cheap"}, "webstack_budget_usd"),
    ("dev", {"webstack_waf_mode": "block"}, "webstack_waf_mode: block but nothing can carry a web ACL"),
    (
        "dev",
        {"webstack_extra_tags": {"aws:team": "web"}},
        "webstack_extra_tags: 'aws:team' uses the reserved aws: prefix",
    ),
    ("dev", {"webstack_project": "illustra-design-studio-online"}, "webstack_project"),
    ("staging", {"asg_instance_type": "t3.gigantic"}, "asg_instance_type: 't3.gigantic' is not an instance type"),
    ("prod", {"webstack_website_mode": "s3_website"}, "webstack_website_mode"),
    ("dev", {"vpc_nat_mode": "two"}, "vpc_nat_mode"),
]


def _nothing_exists():
    ec2 = boto3.client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    buckets = boto3.client("s3").list_buckets()["Buckets"]
    return vpcs == [] and buckets == [] and wt.tagged_resources() == []


@pytest.mark.parametrize(("env", "bad", "expected"), CASES, ids=[f"{c[0]}-{next(iter(c[1]))}" for c in CASES])
def test_bad_input_fails_in_preflight_and_creates_nothing(clean_emulator, env, bad, expected):
    run = wt.run_playbook("playbooks/site.yml", f"inventories/{env}", extra_vars=dict(bad, webstack_confirm=env))
    assert run.rc != 0
    messages = "\n".join(run.failure_messages())
    assert expected in messages, messages
    failed_tasks = [t["name"] for t in run.tasks if any(r.get("failed") for r in t["hosts"].values())]
    assert failed_tasks and all(
        "preflight" in name.lower() or "validate" in name.lower() or "check" in name.lower() for name in failed_tasks
    ), failed_tasks
    assert _nothing_exists()


def test_all_problems_are_reported_together(clean_emulator):
    run = wt.run_playbook(
        "playbooks/site.yml", "inventories/staging",
        extra_vars={"vpc_cidr_block": "8.8.0.0/16", "webstack_budget_usd": 0, "webstack_alert_emails": ["nobody"]},
    )  # fmt: skip
    messages = "\n".join(run.failure_messages())
    for variable in ("vpc_cidr_block", "webstack_budget_usd", "webstack_alert_emails"):
        assert f"- {variable}:" in messages
    assert "nothing was created" in messages
    assert _nothing_exists()


def test_prod_needs_explicit_confirmation(clean_emulator):
    run = wt.run_playbook("playbooks/site.yml", "inventories/prod")
    assert run.rc != 0
    assert "-e webstack_confirm=prod" in "\n".join(run.failure_messages())
    assert _nothing_exists()
