"""Bad inventories fail in preflight, with a message naming the variable and the fix, and create nothing.

Each case is what a new user might put in the inventory; site.yml must stop before its first AWS call. The cost
gate prices what the roles will build: their own defaults, unless the inventory sets the value.
"""

import os
import shutil

import boto3
import pytest
import webstack_test as wt
import yaml
from ansible_collections.illustra.webstack.plugins.module_utils import _prices

ATLAS_URI = "mongodb+srv://illustra:s3cret@cluster0.abcde.mongodb.net/illustra?retryWrites=true"

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
    ("staging", {"asg_instance_type": "t3.gigantic"}, "asg_instance_type: 't3.gigantic' is not one of the values"),
    ("prod", {"webstack_website_mode": "s3_website"}, "webstack_website_mode"),
    ("dev", {"vpc_nat_mode": "two"}, "vpc_nat_mode"),
    # A malformed Atlas connection string: the mongodb role used to fail on it after ten resources existed.
    (
        "dev",
        {"mongodb_atlas_uri": "mongodb+srv://illustra:p@ss@cluster0.abcde.mongodb.net/illustra"},
        "mongodb_atlas_uri: the connection string has reserved characters",
    ),
    # An invalid CIDR in a list of ingress CIDRs: it used to reach the EC2 API after the VPC existed.
    (
        "staging",
        {"vpc_alb_ingress_cidrs": ["0.0.0.0/0", "203.0.113.0/33"]},
        "vpc_alb_ingress_cidrs: '203.0.113.0/33' is not a valid IPv4 network",
    ),
    # An unknown region: it used to fail on the first AWS call without naming the variable.
    ("staging", {"webstack_region": "eu-wset-1"}, "webstack_region: 'eu-wset-1' is not a region of"),
    # Values the APIs refuse (moto takes them) or that can never work.
    ("staging", {"asg_cpu_target": 150}, "asg_cpu_target: 150 is not a CPU percentage"),
    ("staging", {"alb_health_check_interval": 400}, "alb_health_check_interval: 400 is outside 5..300"),
    ("staging", {"alb_name": "illustra-staging-web-load-balancer"}, "alb_name: 'illustra-staging-web-load-balancer'"),
    ("staging", {"vpc_flow_logs_retention_days": 45}, "vpc_flow_logs_retention_days"),
    ("staging", {"asg_instance_type": "t4g.small"}, "asg_instance_type: t4g.small is an arm64 type"),
    ("staging", {"alb_target_port": 8080}, "alb_target_port: 8080 differs from vpc_app_port 80"),
    # A later stage's input: the website deploy needs a build, and would fail after the infrastructure exists.
    ("staging", {"deploy_website": True}, "website_build_dir: empty, but the website is deployed in this run"),
    # Settings that weaken security: refused in prod (policy level strict).
    ("prod", {"alb_ssl_policy": "ELBSecurityPolicy-2016-08"}, "alb_ssl_policy: ELBSecurityPolicy-2016-08 lets clients"),
    ("prod", {"cloudfront_minimum_protocol_version": "TLSv1.2_2019"}, "[cloudfront-tls; refused"),
    ("prod", {"vpc_app_public_ingress_cidrs": ["0.0.0.0/0"]}, "[app-not-world-open; refused"),
]


def _nothing_exists():
    ec2 = boto3.client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    buckets = boto3.client("s3").list_buckets()["Buckets"]
    return vpcs == [] and buckets == [] and wt.tagged_resources() == []


def _inventory_vars(env, bad):
    """The inventory's extra vars for a run: dev keeps its database on Atlas, which needs a connection string."""
    return dict({"mongodb_atlas_uri": ATLAS_URI} if env == "dev" else {}, webstack_confirm=env, **bad)


@pytest.mark.parametrize(("env", "bad", "expected"), CASES, ids=[f"{c[0]}-{next(iter(c[1]))}" for c in CASES])
def test_bad_input_fails_in_preflight_and_creates_nothing(clean_emulator, env, bad, expected):
    run = wt.run_playbook("playbooks/site.yml", f"inventories/{env}", extra_vars=_inventory_vars(env, bad))
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
        extra_vars={
            "vpc_cidr_block": "8.8.0.0/16", "webstack_budget_usd": 0, "webstack_alert_emails": ["nobody"],
            # A wrong type (argument spec) comes with the other problems, not before them.
            "vpc_nat_mode": "two",
            "frontend_s3_bucket_name": "Illustra_Site", "artifacts_bucket_name": "a..b",
            "alb_health_check_timeout": 30, "alb_health_check_matcher": "200-600",
            "asg_refresh_min_healthy_percentage": 50, "asg_refresh_max_healthy_percentage": 200,
            "waf_rate_limit": 5, "cloudwatch_cpu_high_percent": 120, "cloudwatch_log_retention_days": 45,
            "backup_alarm_period_seconds": 90, "webstack_extra_tags": {"Owner": "x" * 300},
            "asg_name": "illustra-staging-backend-" + "x" * 50,
            "asg_ansible_core_requirement": "ansible-core>=2.17,<", "backup_user": "Backup User",
        },
    )  # fmt: skip
    messages = "\n".join(run.failure_messages())
    for variable in (
        "vpc_cidr_block", "webstack_budget_usd", "webstack_alert_emails", "vpc_nat_mode", "frontend_s3_bucket_name",
        "artifacts_bucket_name", "alb_health_check_timeout", "alb_health_check_matcher",
        "asg_refresh_max_healthy_percentage", "waf_rate_limit", "cloudwatch_cpu_high_percent",
        "cloudwatch_log_retention_days", "backup_alarm_period_seconds", "webstack_extra_tags", "asg_name",
        "asg_ansible_core_requirement", "backup_user",
    ):  # fmt: skip
        assert f"- {variable}:" in messages, variable
    assert "nothing was created" in messages
    assert _nothing_exists()


def test_prod_needs_explicit_confirmation(clean_emulator):
    run = wt.run_playbook("playbooks/site.yml", "inventories/prod")
    assert run.rc != 0
    assert "-e webstack_confirm=prod" in "\n".join(run.failure_messages())
    assert _nothing_exists()


def test_weak_settings_pass_with_a_warning_below_strict():
    """Staging (policy level warning) keeps a weak setting as a flagged exception; prod refuses the same one."""
    weak = {"alb_ssl_policy": "ELBSecurityPolicy-2016-08", "asg_key_name": "ops"}
    run = wt.run_playbook("playbooks/preflight.yml", "inventories/staging", extra_vars=weak)
    assert run.rc == 0, run.summary()
    exceptions = run.result("illustra.webstack.preflight : Check the environment's inputs")["preflight"]["exceptions"]
    assert any(
        e.startswith("alb_ssl_policy:") and "[alb-tls; allowed at webstack_policy_level warning]" in e
        for e in exceptions
    )
    assert any(e.startswith("asg_key_name:") and "[no-ssh-key;" in e for e in exceptions)
    assert "flagged exception: alb_ssl_policy" in run.stdout + run.stderr
    strict = wt.run_playbook(
        "playbooks/preflight.yml", "inventories/staging", extra_vars=dict(weak, webstack_policy_level="strict")
    )
    assert strict.rc != 0
    messages = "\n".join(strict.failure_messages())
    assert "alb_ssl_policy:" in messages and "[alb-tls; refused at webstack_policy_level strict]" in messages


def _collection_with_defaults(tmp_path, changes):
    """A copy of this collection (links) whose roles' defaults/main.yml carry `changes` ({role: {variable: value}})."""
    root = tmp_path / "collections" / "ansible_collections" / "illustra" / "webstack"
    root.mkdir(parents=True)
    for entry in wt.ROOT.iterdir():
        if entry.name not in ("roles", ".cache", ".git", ".venv"):
            (root / entry.name).symlink_to(entry)
    (root / "roles").mkdir()
    for role in (wt.ROOT / "roles").iterdir():
        if role.name not in changes:
            (root / "roles" / role.name).symlink_to(role)
            continue
        (root / "roles" / role.name).mkdir()
        for part in role.iterdir():
            if part.name != "defaults":
                (root / "roles" / role.name / part.name).symlink_to(part)
        (root / "roles" / role.name / "defaults").mkdir()
        text = (role / "defaults" / "main.yml").read_text()
        for variable, value in changes[role.name].items():
            lines = [f"{variable}: {value}" if line.startswith(f"{variable}:") else line for line in text.splitlines()]
            assert lines != text.splitlines(), f"{variable} is not a default of {role.name}"
            text = "\n".join(lines) + "\n"
        (root / "roles" / role.name / "defaults" / "main.yml").write_text(text)
    return tmp_path / "collections"


def _estimate(collections, inventory):
    run = wt.run_playbook("playbooks/preflight.yml", str(inventory), env={"ANSIBLE_COLLECTIONS_PATH": str(collections)})
    assert run.rc == 0, run.summary()
    result = run.result("illustra.webstack.preflight : Estimate the environment's monthly cost against its budget")[
        "budget_check"
    ]
    return result["total_usd"], {i["item"]: i for i in result["items"]}


def test_the_cost_gate_prices_the_roles_own_defaults(tmp_path):
    """The five sizes that had drifted: changing a role's default moves the estimate by that line's price."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    shutil.copy(wt.ROOT / "inventories" / "staging" / "hosts.yml", inventory / "hosts.yml")
    # Only the environment's matrix: every size below comes from the roles.
    shutil.copy(
        wt.ROOT / "inventories" / "staging" / "group_vars" / "all" / "webstack.yml", inventory / "group_vars" / "all"
    )
    defaults = {
        role: yaml.safe_load((wt.ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        for role in ("vpc", "asg", "mongodb")
    }

    total, items = _estimate(_collection_with_defaults(tmp_path / "stock", {}), inventory)
    asg, vpc, mongodb = defaults["asg"], defaults["vpc"], defaults["mongodb"]
    backend = f"EC2 {asg['asg_instance_type']} x{asg['asg_desired_capacity']} (backend)"
    assert items[backend]["quantity"] == asg["asg_desired_capacity"] * _prices.HOURS_PER_MONTH
    assert items["EBS gp3 (backend)"]["quantity"] == asg["asg_desired_capacity"] * asg["asg_root_volume_size"]
    assert items["EBS gp3 (MongoDB data)"]["quantity"] == mongodb["mongodb_volume_size"]
    assert f"NAT gateway x{ {'single': 1, 'per_az': vpc['vpc_az_count']}[vpc['vpc_nat_mode']] }" in items

    changed = {
        "asg": {
            "asg_instance_type": "t3.large",
            "asg_desired_capacity": 3,
            "asg_max_size": 4,
            "asg_root_volume_size": 40,
        },
        "mongodb": {"mongodb_volume_size": 100},
        "vpc": {"vpc_nat_mode": "per_az"},
    }
    new_total, new_items = _estimate(_collection_with_defaults(tmp_path / "changed", changed), inventory)
    table = _prices.PRICE_TABLE
    assert new_items["EC2 t3.large x3 (backend)"]["monthly_usd"] == pytest.approx(
        3 * 730 * table["ec2_hourly"]["t3.large"], abs=0.01
    )
    assert new_items["EBS gp3 (backend)"]["quantity"] == 3 * 40
    assert new_items["EBS gp3 (MongoDB data)"]["quantity"] == 100
    assert "NAT gateway x2" in new_items
    expected = (
        new_items["EC2 t3.large x3 (backend)"]["monthly_usd"] - items[backend]["monthly_usd"]
        + (3 * 40 - asg["asg_desired_capacity"] * asg["asg_root_volume_size"]) * table["ebs_gp3_gb_month"]
        + (100 - mongodb["mongodb_volume_size"]) * table["ebs_gp3_gb_month"]
        + sum(new_items[n]["monthly_usd"] for n in new_items if n.startswith("NAT gateway"))
        - sum(items[n]["monthly_usd"] for n in items if n.startswith("NAT gateway"))
    )  # fmt: skip
    assert new_total - total == pytest.approx(expected, abs=0.05)
    assert os.environ.get("ANSIBLE_COLLECTIONS_PATH") is None  # the copies never leak into other tests


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_preflight_makes_no_aws_call(env):
    """Every AWS endpoint is a closed port: a preflight that called AWS (a role default built with an SSM lookup,
    say) would fail. The EC2 inventory plugin's failure to list hosts is only a warning."""
    closed = "http://127.0.0.1:9"
    run = wt.run_playbook(
        "playbooks/preflight.yml",
        f"inventories/{env}",
        extra_vars={
            "webstack_confirm": env,
            "website_build_dir": "examples/frontend/build",
            "backend_release_id": "1.0",
        },
        env={"AWS_ENDPOINT_URL": closed, "AWS_URL": closed, "AWS_MAX_ATTEMPTS": "1"},
    )
    assert run.rc == 0, run.summary()
    checked = run.result("illustra.webstack.preflight : Check the environment's inputs")
    assert checked["preflight"]["problems"] == []
