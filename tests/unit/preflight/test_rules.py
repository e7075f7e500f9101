"""Preflight's cross-field rules: every bad input names its variable and the fix."""

import copy

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils._preflight import review

PROD = {
    "project": "illustra",
    "environment": "prod",
    "region": "us-east-1",
    "extra_tags": {"CostCenter": "web"},
    "website_mode": "cloudfront",
    "custom_domain": True,
    "domain": "illustra-demo.example.com",
    "waf_mode": "block",
    "backend_mode": "asg",
    "monitoring_level": "full",
    "backup_mode": "daily_aws_backup",
    "budget_usd": 200,
    "policy_level": "strict",
    "alert_emails": ["ops@example.com"],
    "vpc_cidr_block": "10.30.0.0/16",
    "vpc_az_count": 2,
    "instance_types": {"asg_instance_type": "t3.medium"},
    "sizes": {"asg_min_size": 2, "asg_max_size": 4, "asg_desired_capacity": 2},
}
DEV = dict(PROD, environment="dev", website_mode="s3_website", custom_domain=False, domain="", waf_mode="off",
           backend_mode="single", backup_mode="off", monitoring_level="essential", alert_emails=[])  # fmt: skip


def with_(base, **changes):
    config = copy.deepcopy(base)
    config.update(changes)
    return config


def test_the_shipped_matrix_passes():
    assert review(PROD) == ([], [])
    problems, exceptions = review(DEV)
    assert problems == []
    assert len(exceptions) == 1
    assert "public S3 website" in exceptions[0]


@pytest.mark.parametrize(
    ("changes", "variable", "fix"),
    [
        ({"environment": "qa"}, "webstack_env", "dev, staging, prod"),
        ({"project": "Illustra_Shop"}, "webstack_project", "lowercase"),
        ({"project": "a-very-long-project-name-x"}, "webstack_project", "2-20"),
        ({"region": "useast1"}, "webstack_region", "us-east-1"),
        ({"vpc_cidr_block": "10.30.0.0/33"}, "vpc_cidr_block", "10.20.0.0/16"),
        ({"vpc_cidr_block": "10.30.0.1/16"}, "vpc_cidr_block", "host bits zero"),
        ({"vpc_cidr_block": "8.8.0.0/16"}, "vpc_cidr_block", "RFC 1918"),
        ({"vpc_cidr_block": "10.0.0.0/8"}, "vpc_cidr_block", "/16 to /24"),
        ({"vpc_public_subnet_cidrs": ["10.30.0.0/24", "10.30.0.0/25"]}, "vpc_public_subnet_cidrs", "own range"),
        (
            {"vpc_private_subnet_cidrs": ["10.99.0.0/24", "10.99.1.0/24"]},
            "vpc_private_subnet_cidrs",
            "inside the VPC range",
        ),
        ({"vpc_public_subnet_cidrs": ["10.30.0.0/24"]}, "vpc_public_subnet_cidrs", "one per zone"),
        ({"other_env_cidrs": {"staging": "10.30.0.0/16"}}, "vpc_cidr_block", "its own range"),
        ({"domain": ""}, "webstack_domain", "apex domain"),
        ({"domain": "not a domain"}, "webstack_domain", "shop.example.com"),
        ({"custom_domain": False}, "webstack_custom_domain", "set it to true"),
        ({"website_mode": "s3_website"}, "webstack_website_mode", "use cloudfront"),
        ({"waf_mode": "off"}, "webstack_waf_mode", "set it to block"),
        ({"backend_mode": "single"}, "webstack_backend_mode", "prod uses asg"),
        ({"backup_mode": "off"}, "webstack_backup_mode", "daily"),
        ({"budget_usd": -5}, "webstack_budget_usd", "positive number"),
        ({"budget_usd": 0}, "webstack_budget_usd", "positive number"),
        ({"budget_usd": "lots"}, "webstack_budget_usd", "positive number"),
        ({"budget_usd": float("nan")}, "webstack_budget_usd", "positive number"),
        ({"alert_emails": ["ops"]}, "webstack_alert_emails", "e-mail address"),
        ({"alert_emails": []}, "webstack_alert_emails", "at least one"),
        ({"extra_tags": {"aws:owner": "x"}}, "webstack_extra_tags", "reserved aws: prefix"),
        ({"extra_tags": {"Project": "other"}}, "webstack_extra_tags", "standard tag"),
        ({"extra_tags": {"Owner": "x" * 300}}, "webstack_extra_tags", "256"),
        ({"extra_tags": {"bad{key}": "x"}}, "webstack_extra_tags", "1-128"),
        ({"extra_tags": {"Owner": {"nested": 1}}}, "webstack_extra_tags", "text"),
        ({"extra_tags": ["Owner"]}, "webstack_extra_tags", "mapping"),
        ({"instance_types": {"asg_instance_type": "t3.gigantic"}}, "asg_instance_type", "t3.small"),
        ({"instance_types": {"asg_instance_type": "x9.large"}}, "asg_instance_type", "t3.small"),
        (
            {"sizes": {"asg_min_size": 3, "asg_max_size": 2, "asg_desired_capacity": 2}},
            "asg_min_size",
            "min <= desired",
        ),
        (
            {"sizes": {"asg_min_size": 1, "asg_max_size": 2, "asg_desired_capacity": 5}},
            "asg_desired_capacity",
            "outside",
        ),
        ({"bucket_names": {"frontend_s3_bucket_name": "Bad_Bucket"}}, "frontend_s3_bucket_name", "valid S3 bucket"),
        ({"vpc_app_public_ingress_cidrs": ["0.0.0.0/0"]}, "vpc_app_public_ingress_cidrs", "load balancer"),
        ({"mongodb_mode": "atlas", "mongodb_atlas_uri_set": False}, "mongodb_atlas_uri", "vault"),
    ],
)
def test_bad_prod_input_names_the_variable_and_the_fix(changes, variable, fix):
    problems, _ = review(with_(PROD, **changes))
    assert problems, f"{changes} should be refused"
    assert any(p.startswith(variable + ":") and fix in p for p in problems), problems


def test_waf_needs_something_to_protect():
    problems, _ = review(with_(DEV, waf_mode="block", backend_mode="single"))
    assert any(p.startswith("webstack_waf_mode:") and "nothing can carry a web ACL" in p for p in problems)


def test_custom_domain_needs_cloudfront():
    problems, _ = review(with_(DEV, custom_domain=True, domain="example.com"))
    assert any(p.startswith("webstack_website_mode:") for p in problems)


def test_every_problem_is_reported_at_once():
    problems, _ = review(with_(PROD, environment="qa", vpc_cidr_block="bad", budget_usd=-1))
    assert {p.split(":")[0] for p in problems} >= {"webstack_env", "vpc_cidr_block", "webstack_budget_usd"}
