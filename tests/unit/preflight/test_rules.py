"""Preflight's rules: every bad input names its variable and the fix; weak settings follow the policy level."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.illustra.webstack.plugins.module_utils import _preflight as pf

ROOT = Path(__file__).resolve().parents[3]
URI = "mongodb+srv://illustra:s3cret@cluster0.abcde.mongodb.net/illustra?retryWrites=true&w=majority"

# The values the prod roles use (the inventory's, else the roles' defaults), as the preflight action resolves them.
PROD = {
    "webstack_project": "illustra",
    "webstack_env": "prod",
    "webstack_region": "us-east-1",
    "webstack_extra_tags": {"CostCenter": "web"},
    "webstack_website_mode": "cloudfront",
    "webstack_custom_domain": True,
    "webstack_domain": "illustra-demo.example.com",
    "webstack_waf_mode": "block",
    "webstack_backend_mode": "asg",
    "webstack_monitoring_level": "full",
    "webstack_backup_mode": "daily_aws_backup",
    "webstack_budget_usd": 250,
    "webstack_policy_level": "strict",
    "webstack_alert_emails": ["ops@example.com"],
    "webstack_access_logs": True,
    "waf_logging_enabled": True,
    "logs_bucket_name": "",
    "logs_expiration_days": 90,
    "vpc_name": "illustra-prod",
    "vpc_cidr_block": "10.30.0.0/16",
    "vpc_az_count": 2,
    "vpc_availability_zones": [],
    "vpc_subnet_prefix_length": 24,
    "vpc_public_subnet_cidrs": [],
    "vpc_private_subnet_cidrs": [],
    "vpc_nat_mode": "per_az",
    "vpc_app_port": 80,
    "vpc_db_port": 27017,
    "vpc_alb_ingress_cidrs": ["0.0.0.0/0"],
    "vpc_app_public_ingress_cidrs": [],
    "vpc_extra_security_groups": [],
    "vpc_flow_logs_enabled": True,
    "vpc__flow_logs_role": "illustra-prod-vpc-flow-logs",
    "vpc__flow_logs_group": "/illustra/prod/vpc-flow-logs",
    "vpc__security_groups": [
        {"key": "alb", "description": "alb", "ingress": [{"ports": [80, 443], "cidr_ip": ["0.0.0.0/0"]}]},
        {"key": "db", "description": "db", "ingress": [{"ports": [27017], "source_group": "app"}]},
    ],
    "preflight_other_env_cidrs": {},
    "acm_domain": "illustra-demo.example.com",
    "acm_subject_alternative_names": ["*.illustra-demo.example.com"],
    "acm_regions": ["us-east-1"],
    "acm_hosted_zone_id": "",
    "acm_wait_timeout": 900,
    "waf_name": "illustra-prod",
    "waf__acls": [{"key": "cloudfront"}, {"key": "regional"}],
    "waf_managed_rule_groups": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"],
    "waf_rate_limit": 2000,
    "waf_forwarded_ip_header": "X-Forwarded-For",
    "frontend_s3_bucket_name": "illustra-prod-frontend",
    "frontend_s3_encryption": "AES256",
    "frontend_s3_kms_key_id": "",
    "frontend_s3_noncurrent_version_days": 90,
    "alb_name": "illustra-prod",
    "alb_target_group_name": "illustra-prod-web",
    "alb_target_port": 80,
    "alb_health_check_path": "/api/products",
    "alb_health_check_interval": 30,
    "alb_health_check_timeout": 5,
    "alb_healthy_threshold": 2,
    "alb_unhealthy_threshold": 3,
    "alb_health_check_matcher": "200",
    "alb_deregistration_delay": 30,
    "alb_idle_timeout": 60,
    "alb_require_https": True,
    "alb_ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "alb_origin_verify_header": "X-Origin-Verify",
    "alb_origin_verify_parameter": "/illustra/prod/alb/origin-verify-secret",
    "alb_access_logs_bucket": "",
    "alb_access_logs_prefix": "alb/prod",
    "asg_name": "illustra-prod-backend",
    "asg_instance_type": "t3.medium",
    "asg_min_size": 2,
    "asg_max_size": 4,
    "asg_desired_capacity": 2,
    "asg_image_id": "",
    "asg_image_ssm_parameter": "/aws/service/debian/release/12/latest/amd64",
    "asg_root_volume_size": 20,
    "asg_root_volume_type": "gp3",
    "asg_key_name": "",
    "asg_cpu_target": 50,
    "asg_instance_warmup": 120,
    "asg_app_port": 8001,
    "asg_app_env": {"LOG_LEVEL": "info"},
    "asg_ssm_secrets": {"MONGO_URL": "/illustra/prod/mongodb/uri"},
    "asg_release_parameter": "/illustra/prod/backend/last-good-release",
    "asg_collection_key": "collections/illustra-webstack.tar.gz",
    "asg_ansible_core_requirement": "ansible-core>=2.17,<2.20",
    "asg_refresh_min_healthy_percentage": 100,
    "asg_refresh_max_healthy_percentage": 200,
    "asg_refresh_checkpoint_percentages": [50, 100],
    "asg_refresh_checkpoint_delay": 300,
    "cloudfront_name": "illustra-prod-frontend",
    "cloudfront_minimum_protocol_version": "TLSv1.2_2021",
    "cloudfront_api_path_pattern": "/api/*",
    "cloudfront_aliases": ["illustra-demo.example.com", "www.illustra-demo.example.com"],
    "cloudfront_acm_certificate_arn": "",
    "cloudfront_security_headers": {
        "hsts_max_age": 63072000,
        "frame_option": "DENY",
        "referrer_policy": "strict-origin-when-cross-origin",
    },
    "dns_domain": "illustra-demo.example.com",
    "dns_api_name": "api.illustra-demo.example.com",
    "mongodb_mode": "self_hosted",
    "mongodb_name": "illustra-prod-mongodb",
    "mongodb__role_name": "illustra-prod-mongodb-instance",
    "mongodb__uri_parameter": "/illustra/prod/mongodb/uri",
    "mongodb_database": "illustra",
    "mongodb_ssm_prefix": "/illustra/prod/mongodb",
    "mongodb_port": 27017,
    "mongodb_instance_type": "t3.medium",
    "mongodb_ami_ssm_parameter": "/aws/service/debian/release/12/latest/amd64",
    "mongodb_volume_size": 50,
    "mongodb_volume_type": "gp3",
    "mongodb_password_length": 32,
    "mongodb_bind_ip": "127.0.0.1",
    "mongodb_storage_path": "/var/lib/mongodb",
    "mongodb_pymongo_version": "4.20.0",
    "backup_database": "illustra",
    "backup_mongodb_uri_parameter": "/illustra/prod/mongodb/uri",
    "backup_user": "webstack-backup",
    "backup_local_dir": "/var/backups/mongodb",
    "backup_schedule": "*-*-* 02:00:00 UTC",
    "backup_name": "illustra-prod-backup",
    "backup__vault_name": "illustra-prod-backup-vault",
    "backup__service_role_name": "illustra-prod-backup-aws-backup",
    "backup__alarm_name": "illustra-prod-backup-no-successful-dump",
    "backup_aws_backup_enabled": True,
    "backup_aws_backup_schedule": "cron(0 3 ? * * *)",
    "backup_retention_days": 90,
    "backup_alarm_period_seconds": 86400,
    "backup_metric_namespace": "Illustra/Backups",
    "backup_s3_prefix": "mongodb",
    "cloudwatch_name": "illustra-prod",
    "cloudwatch__topic_name": "illustra-prod-alerts",
    "cloudwatch__dashboard_name": "illustra-prod",
    "cloudwatch__budget_name": "illustra-prod-monthly",
    "cloudwatch__alarms": [{"name": "illustra-prod-monitoring-asg-status-check-failed"}],
    "cloudwatch_budget_enabled": True,
    "cloudwatch_alert_emails": ["ops@example.com"],
    "cloudwatch_log_groups": ["/illustra/prod/app", "/illustra/prod/nginx"],
    "cloudwatch_cpu_high_percent": 80,
    "cloudwatch_cloudfront_5xx_rate_percent": 5,
    "cloudwatch_budget_actual_thresholds": [80, 100, 120],
    "cloudwatch_budget_forecasted_thresholds": [100],
    "cloudwatch_budget_cost_filters": {},
}
DEV = dict(
    PROD,
    webstack_env="dev",
    webstack_website_mode="s3_website",
    webstack_custom_domain=False,
    webstack_domain="",
    webstack_waf_mode="off",
    webstack_backend_mode="single",
    webstack_backup_mode="off",
    webstack_monitoring_level="essential",
    webstack_policy_level="informational",
    webstack_alert_emails=[],
    webstack_access_logs=False,
    vpc_nat_mode="none",
    vpc_flow_logs_enabled=False,
    mongodb_mode="atlas",
)
for name in ("acm_domain", "acm_subject_alternative_names", "acm_regions", "waf_name", "waf__acls", "alb_name",
             "cloudfront_name", "cloudfront_aliases", "dns_domain", "dns_api_name", "backup_aws_backup_enabled"):  # fmt: skip
    DEV.pop(name)
DEV_ROLES = ["vpc", "frontend_s3", "artifacts", "asg", "mongodb", "cloudwatch"]


def with_(base, **changes):
    config = copy.deepcopy(base)
    config.update(changes)
    return config


def review(variables, secrets=None, roles=None, **kwargs):
    return pf.review(variables, secrets or {}, roles=roles, **kwargs)


def test_the_shipped_matrix_passes():
    assert review(PROD) == ([], [])
    problems, exceptions = review(DEV, {"mongodb_atlas_uri": URI}, DEV_ROLES)
    assert problems == []
    assert [e.split(":")[0] for e in exceptions] == [
        "webstack_website_mode",
        "webstack_waf_mode",
        "vpc_flow_logs_enabled",
        "webstack_access_logs",
    ]
    assert "public S3 website" in exceptions[0]


@pytest.mark.parametrize(
    ("changes", "variable", "fix"),
    [
        # Names, environment, region, tags.
        ({"webstack_env": "qa"}, "webstack_env", "dev, staging, prod"),
        ({"webstack_project": "Illustra_Shop"}, "webstack_project", "lowercase"),
        ({"webstack_project": "a-very-long-project-name-x"}, "webstack_project", "2-20"),
        ({"webstack_region": "useast1"}, "webstack_region", "us-east-1"),
        ({"webstack_region": "eu-wset-1"}, "webstack_region", "did you mean eu-west-1"),
        ({"webstack_region": "us-east-7"}, "webstack_region", "endpoint data"),
        ({"webstack_extra_tags": {"aws:owner": "x"}}, "webstack_extra_tags", "reserved aws: prefix"),
        ({"webstack_extra_tags": {"Project": "other"}}, "webstack_extra_tags", "remove it"),
        ({"webstack_extra_tags": {"Name": "other"}}, "webstack_extra_tags", "remove it"),
        ({"webstack_extra_tags": {"Owner": "x" * 300}}, "webstack_extra_tags", "256"),
        ({"webstack_extra_tags": {"bad{key}": "x"}}, "webstack_extra_tags", "1-128"),
        ({"webstack_extra_tags": {"Owner": {"nested": 1}}}, "webstack_extra_tags", "text"),
        ({"webstack_extra_tags": ["Owner"]}, "webstack_extra_tags", "mapping"),
        # Flags, domain, budget, e-mail.
        ({"webstack_domain": ""}, "webstack_domain", "apex domain"),
        ({"webstack_domain": "not a domain"}, "webstack_domain", "shop.example.com"),
        ({"webstack_domain": "a" * 60 + ".example.com"}, "webstack_domain", "64 characters in ACM"),
        ({"webstack_custom_domain": False}, "webstack_custom_domain", "set it to true"),
        ({"webstack_backend_mode": "single"}, "webstack_backend_mode", "prod uses asg"),
        ({"webstack_backup_mode": "off"}, "webstack_backup_mode", "daily"),
        ({"webstack_budget_usd": -5}, "webstack_budget_usd", "positive number"),
        ({"webstack_budget_usd": 0}, "webstack_budget_usd", "positive number"),
        ({"webstack_budget_usd": "lots"}, "webstack_budget_usd", "positive number"),
        ({"webstack_budget_usd": float("nan")}, "webstack_budget_usd", "positive number"),
        ({"webstack_alert_emails": ["ops"]}, "webstack_alert_emails", "e-mail address"),
        ({"webstack_alert_emails": ["ops@localhost"]}, "webstack_alert_emails", "e-mail address"),
        ({"webstack_alert_emails": []}, "webstack_alert_emails", "at least one"),
        ({"cloudwatch_alert_emails": [f"ops{i}@example.com" for i in range(11)]}, "cloudwatch_alert_emails", "10 e-mail"),
        # Network.
        ({"vpc_cidr_block": "10.30.0.0/33"}, "vpc_cidr_block", "10.20.0.0/16"),
        ({"vpc_cidr_block": "10.30.0.1/16"}, "vpc_cidr_block", "host bits zero"),
        ({"vpc_cidr_block": "8.8.0.0/16"}, "vpc_cidr_block", "RFC 1918"),
        ({"vpc_cidr_block": "10.0.0.0/8"}, "vpc_cidr_block", "/16 to /24"),
        ({"vpc_public_subnet_cidrs": ["10.30.0.0/24", "10.30.0.0/25"]}, "vpc_public_subnet_cidrs", "own range"),
        ({"vpc_private_subnet_cidrs": ["10.99.0.0/24", "10.99.1.0/24"]}, "vpc_private_subnet_cidrs", "inside the VPC range"),
        ({"vpc_public_subnet_cidrs": ["10.30.0.0/24"]}, "vpc_public_subnet_cidrs", "one per zone"),
        ({"vpc_public_subnet_cidrs": ["10.30.0.0/29", "10.30.0.8/29"]}, "vpc_public_subnet_cidrs", "/28"),
        ({"preflight_other_env_cidrs": {"staging": "10.30.0.0/16"}}, "vpc_cidr_block", "its own range"),
        ({"vpc_alb_ingress_cidrs": ["0.0.0.0/0", "203.0.113.0/33"]}, "vpc_alb_ingress_cidrs", "not a valid IPv4 network"),
        ({"vpc_alb_ingress_cidrs": ["2001:db8::/32"]}, "vpc_alb_ingress_cidrs", "IPv6"),
        ({"vpc_app_public_ingress_cidrs": ["198.51.100.7"]}, "vpc_app_public_ingress_cidrs", "198.51.100.7/32"),
        ({"vpc_app_public_ingress_cidrs": ["198.51.100.7/24"]}, "vpc_app_public_ingress_cidrs", "host bits zero"),
        ({"vpc_az_count": 1}, "vpc_az_count", "at least two availability zones"),
        ({"vpc_availability_zones": ["eu-west-1a", "eu-west-1b"]}, "vpc_availability_zones", "us-east-1a"),
        ({"vpc_subnet_prefix_length": 30}, "vpc_subnet_prefix_length", "at most 28"),
        ({"vpc_subnet_prefix_length": 16}, "vpc_subnet_prefix_length", "longer than"),
        ({"vpc_cidr_block": "10.30.0.0/24", "vpc_subnet_prefix_length": 25}, "vpc_subnet_prefix_length", "room for 1"),
        ({"vpc_app_port": 70000}, "vpc_app_port", "1-65535"),
        ({"vpc_db_port": 0}, "vpc_db_port", "1-65535"),
        ({"alb_target_port": 8080}, "alb_target_port", "health checks would never pass"),
        ({"asg_app_port": 80}, "asg_app_port", "nginx's port"),
        ({"mongodb_port": 27018}, "mongodb_port", "same port"),
        ({"vpc_nat_mode": "none"}, "vpc_nat_mode", "without internet access"),
        (
            {"vpc_extra_security_groups": [{"key": "ops", "description": "ops", "ingress": [{"ports": [443], "cidr_ip": ["10.0.0.0/35"]}]}]},
            "vpc_extra_security_groups[0]",
            "not a valid IPv4 network",
        ),
        (
            {"vpc_extra_security_groups": [{"key": "ops", "description": "ops", "ingress": [{"ports": ["9000-70000"], "cidr_ip": ["10.0.0.0/16"]}]}]},
            "vpc_extra_security_groups[0]",
            "0-65535",
        ),
        ({"vpc_extra_security_groups": [{"description": "no key"}]}, "vpc_extra_security_groups[0]", "key and a description"),
        (
            {"vpc_extra_security_groups": [{"key": "ops", "description": "ops", "ingress": [{"ports": [443], "cidr_ips": ["10.0.0.0/8"]}]}]},
            "vpc_extra_security_groups[0]",
            "cidr_ips is not one",
        ),
        # Certificates and DNS.
        ({"acm_subject_alternative_names": ["*.bad_name.example.com"]}, "acm_subject_alternative_names", "valid domain"),
        ({"acm_subject_alternative_names": ["x.example.com"] * 101}, "acm_subject_alternative_names", "1..100"),
        ({"acm_regions": ["eu-west-1", "us-east-1"]}, "acm_regions", "us-east-1 first"),
        ({"acm_regions": ["us-east-1", "eu-wset-1"]}, "acm_regions", "not a region of acm"),
        ({"webstack_region": "eu-west-1", "acm_regions": ["us-east-1"]}, "acm_regions", "its own region"),
        ({"acm_hosted_zone_id": "zone-1"}, "acm_hosted_zone_id", "hosted zone id"),
        ({"acm_wait_timeout": -1}, "acm_wait_timeout", "seconds"),
        ({"cloudfront_aliases": ["shop.example.org"]}, "cloudfront_aliases", "not covered by the certificate"),
        ({"cloudfront_aliases": ["a.b.illustra-demo.example.com"]}, "cloudfront_aliases", "not covered by the certificate"),
        ({"dns_api_name": "api.example.org"}, "dns_api_name", "inside the hosted zone"),
        ({"dns_alb_dns_name": "my alb"}, "dns_alb_dns_name", "valid domain"),
        ({"dns_alb_hosted_zone_id": "zone"}, "dns_alb_hosted_zone_id", "canonical hosted zone id"),
        # Buckets, keys, lifecycles.
        ({"frontend_s3_bucket_name": "Bad_Bucket"}, "frontend_s3_bucket_name", "lowercase letters"),
        ({"frontend_s3_bucket_name": "ab"}, "frontend_s3_bucket_name", "3 to 63"),
        ({"frontend_s3_bucket_name": "my..bucket"}, "frontend_s3_bucket_name", "adjacent dots"),
        ({"frontend_s3_bucket_name": "192.168.1.10"}, "frontend_s3_bucket_name", "IP address"),
        ({"frontend_s3_bucket_name": "xn--bucket"}, "frontend_s3_bucket_name", "reserves"),
        ({"frontend_s3_bucket_name": "shop.example.com"}, "frontend_s3_bucket_name", "Use hyphens"),
        ({"frontend_s3_noncurrent_version_days": 0}, "frontend_s3_noncurrent_version_days", "positive number of days"),
        ({"logs_bucket_name": "Logs"}, "logs_bucket_name", "lowercase letters"),
        ({"logs_expiration_days": 0}, "logs_expiration_days", "positive number of days"),
        ({"frontend_s3_kms_key_id": "my-key"}, "frontend_s3_kms_key_id", "KMS key id"),
        ({"frontend_s3_kms_key_id": "alias/web"}, "frontend_s3_kms_key_id", "aws:kms"),
        ({"alb_access_logs_bucket": "logs", "alb_access_logs_prefix": "AWSLogs/x"}, "alb_access_logs_prefix", "AWSLogs"),
        # Load balancer.
        ({"alb_name": "illustra-production-environment-x"}, "alb_name", "at most 32"),
        ({"alb_name": "-illustra"}, "alb_name", "no hyphen at either end"),
        ({"alb_name": "internal-shop"}, "alb_name", "reserves"),
        ({"alb_target_group_name": "illustra_prod_web"}, "alb_target_group_name", "letters, digits or hyphens"),
        ({"alb_health_check_interval": 400}, "alb_health_check_interval", "5..300"),
        ({"alb_health_check_timeout": 1}, "alb_health_check_timeout", "2..120"),
        ({"alb_health_check_timeout": 30}, "alb_health_check_timeout", "timeout < interval"),
        ({"alb_healthy_threshold": 11}, "alb_healthy_threshold", "2..10"),
        ({"alb_unhealthy_threshold": 1}, "alb_unhealthy_threshold", "2..10"),
        ({"alb_health_check_path": "api/health"}, "alb_health_check_path", "must start with /"),
        ({"alb_health_check_matcher": "200-600"}, "alb_health_check_matcher", "200-499"),
        ({"alb_deregistration_delay": 4000}, "alb_deregistration_delay", "0-3600"),
        ({"alb_idle_timeout": 0}, "alb_idle_timeout", "1-4000"),
        ({"alb_origin_verify_header": "X Origin"}, "alb_origin_verify_header", "HTTP header name"),
        ({"alb_origin_verify_header": "X-" + "a" * 40}, "alb_origin_verify_header", "40"),
        ({"alb_ssl_policy": "TLS-1-2"}, "alb_ssl_policy", "predefined ELB security policy"),
        ({"alb_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"}, "alb_certificate_arn", "us-east-1"),
        ({"alb_origin_verify_parameter": "/aws/secret"}, "alb_origin_verify_parameter", "AWS reserves"),
        ({"alb_origin_verify_parameter": "no-slash"}, "alb_origin_verify_parameter", "leading /"),
        # Compute.
        ({"asg_instance_type": "t3.gigantic"}, "asg_instance_type", "not one of the values the API accepts"),
        ({"asg_instance_type": "t3.smal"}, "asg_instance_type", "did you mean t3.small"),
        ({"asg_instance_type": "t4g.small"}, "asg_instance_type", "arm64 type but asg_image_ssm_parameter names an x86_64 image"),
        ({"asg_root_volume_type": "st1"}, "asg_root_volume_type", "cannot be a root volume"),
        ({"asg_root_volume_size": 20000}, "asg_root_volume_size", "1-16384"),
        ({"asg_root_volume_size": 4}, "asg_root_volume_size", "8 GiB"),
        ({"asg_image_id": "ami-123"}, "asg_image_id", "AMI id"),
        ({"asg_name": "x" * 65}, "asg_name", "for RoleName of iam CreateRole"),
        ({"asg_name": "illustra prod"}, "asg_name", "launch template name"),
        ({"asg_min_size": 5}, "asg_min_size", "min <= desired"),
        ({"asg_desired_capacity": 5}, "asg_desired_capacity", "outside"),
        ({"asg_cpu_target": 150}, "asg_cpu_target", "CPU percentage"),
        ({"asg_refresh_min_healthy_percentage": 110}, "asg_refresh_min_healthy_percentage", "0..100"),
        ({"asg_refresh_max_healthy_percentage": 250}, "asg_refresh_max_healthy_percentage", "100..200"),
        ({"asg_refresh_min_healthy_percentage": 50, "asg_refresh_max_healthy_percentage": 200}, "asg_refresh_max_healthy_percentage", "at most 100 between"),
        ({"asg_refresh_checkpoint_percentages": [50, 80]}, "asg_refresh_checkpoint_percentages", "end with 100"),
        ({"asg_refresh_checkpoint_percentages": [0, 100]}, "asg_refresh_checkpoint_percentages", "1..100"),
        ({"asg_refresh_checkpoint_delay": 200000}, "asg_refresh_checkpoint_delay", "0..172800"),
        ({"asg_instance_warmup": -5}, "asg_instance_warmup", "0.."),
        ({"asg_app_env": {"LOG-LEVEL": "x"}}, "asg_app_env", "environment variable name"),
        ({"asg_app_env": {"BANNER": "a\nb"}}, "asg_app_env", "one line per variable"),
        ({"asg_ssm_secrets": {"MONGO_URL": "mongodb/uri"}}, "asg_ssm_secrets", "parameter path"),
        ({"asg_release_id": "1.0 final"}, "asg_release_id", "directory-safe"),
        ({"asg_collection_key": "/collections/x.tar.gz"}, "asg_collection_key", "S3 key"),
        ({"asg_ansible_core_requirement": "ansible-core>=2.17,<"}, "asg_ansible_core_requirement", "pip requirement"),
        ({"asg_ansible_core_requirement": "ansible>=10"}, "asg_ansible_core_requirement", "of ansible-core"),
        # Web ACL, edge.
        ({"waf_forwarded_ip_header": "X_Forwarded_For"}, "waf_forwarded_ip_header", "HeaderName of wafv2"),
        ({"waf_name": "illustra prod"}, "waf_name", "web ACL name"),
        ({"waf_managed_rule_groups": ["CommonRuleSet"]}, "waf_managed_rule_groups", "AWSManagedRules"),
        ({"waf_managed_rule_groups": ["AWSManagedRulesSQLiRuleSet"] * 2}, "waf_managed_rule_groups", "twice"),
        ({"waf_rate_limit": 5}, "waf_rate_limit", "10-2000000000"),
        ({"cloudfront_name": "x" * 65}, "cloudfront_name", "64"),
        ({"cloudfront_security_headers": {"hsts_max_age": 63072000, "referrer_policy": "strict"}}, "cloudfront_security_headers", "referrer_policy"),
        ({"cloudfront_security_headers": {"hsts_max_age": 63072000, "content_security_policy": "x" * 1800}}, "cloudfront_security_headers", "1783"),
        ({"cloudfront_api_path_pattern": "/api/ *"}, "cloudfront_api_path_pattern", "path pattern"),
        ({"cloudfront_acm_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}, "cloudfront_acm_certificate_arn", "us-east-1"),
        ({"cloudfront_web_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/0a1b"}, "cloudfront_web_acl_arn", "CLOUDFRONT-scope"),
        # Database, backups.
        ({"mongodb_database": "shop.data"}, "mongodb_database", "MongoDB database name"),
        ({"mongodb_ssm_prefix": "/ssm/db"}, "mongodb_ssm_prefix", "reserves"),
        ({"mongodb_instance_type": "m7g.large"}, "mongodb_instance_type", "arm64"),
        ({"mongodb_volume_size": 0}, "mongodb_volume_size", "outside 1-16384"),
        ({"mongodb_subnet_id": "subnet-xyz"}, "mongodb_subnet_id", "subnet-0123456789abcdef0"),
        ({"mongodb_cache_size_gb": 0.1}, "mongodb_cache_size_gb", "0.25-10000"),
        ({"mongodb__role_name": "x" * 60 + "-instance"}, "mongodb_name", "for RoleName of iam CreateRole"),
        ({"backup__vault_name": "illustra.prod-vault"}, "backup_name", "AWS Backup vault name"),
        ({"backup_name": "x" * 45}, "backup_name", "backup selection name"),
        ({"backup_aws_backup_schedule": "daily"}, "backup_aws_backup_schedule", "cron(0 3 ? * * *)"),
        ({"backup_alarm_period_seconds": 90}, "backup_alarm_period_seconds", "multiple of 60"),
        ({"backup_alarm_period_seconds": 172800}, "backup_alarm_period_seconds", "86400"),
        ({"backup_metric_namespace": "AWS/Backups"}, "backup_metric_namespace", "reserves"),
        ({"backup_alarm_actions": ["arn:aws:sns:us-east-1:123:topic"]}, "backup_alarm_actions", "SNS topic ARN"),
        ({"backup_retention_days": 0}, "backup_retention_days", "positive number of days"),
        ({"backup_s3_prefix": "/mongodb/"}, "backup_s3_prefix", "without slashes"),
        ({"backup_database": "my db"}, "backup_database", "MongoDB database name"),
        ({"backup_mongodb_uri_parameter": "mongodb/uri"}, "backup_mongodb_uri_parameter", "parameter path"),
        ({"backup_instance_role_name": "role with spaces"}, "backup_instance_role_name", "IAM role name"),
        ({"backup_user": "Backup User"}, "backup_user", "system user name"),
        ({"backup_local_dir": "backups"}, "backup_local_dir", "absolute path"),
        ({"mongodb_bind_ip": "10.0.0.5,localhost"}, "mongodb_bind_ip", "not an IP address"),
        ({"mongodb_storage_path": "data"}, "mongodb_storage_path", "absolute path"),
        ({"mongodb_pymongo_version": "latest"}, "mongodb_pymongo_version", "version like"),
        ({"preflight_monthly_data_transfer_gb": -1}, "preflight_monthly_data_transfer_gb", "0 or more"),
        # Monitoring.
        ({"cloudwatch_alb_arn": "arn:aws:ec2:us-east-1:123456789012:instance/i-1"}, "cloudwatch_alb_arn", "load balancer ARN"),
        ({"cloudwatch_cloudfront_distribution_id": "d123"}, "cloudwatch_cloudfront_distribution_id", "distribution id"),
        ({"cloudwatch__topic_name": "illustra prod-alerts"}, "cloudwatch_name", "alert topic name"),
        ({"cloudwatch__dashboard_name": "illustra.prod"}, "cloudwatch_name", "dashboard name"),
        ({"cloudwatch__budget_name": "illustra:prod"}, "cloudwatch_name", "budget name"),
        ({"cloudwatch__alarms": [{"name": "x" * 256}]}, "cloudwatch_name", "alarm name"),
        ({"cloudwatch_cpu_high_percent": 120}, "cloudwatch_cpu_high_percent", "at most 100"),
        ({"cloudwatch_cloudfront_5xx_rate_percent": 0}, "cloudwatch_cloudfront_5xx_rate_percent", "above 0"),
        ({"cloudwatch_budget_actual_thresholds": [80, -1]}, "cloudwatch_budget_actual_thresholds", "above 0"),
        ({"cloudwatch_budget_actual_thresholds": list(range(10, 110, 10))}, "cloudwatch_budget_actual_thresholds", "10 per budget"),
        ({"cloudwatch_log_groups": ["/illustra/prod/app log"]}, "cloudwatch_log_groups", "logGroupName"),
        ({"cloudwatch_budget_cost_filters": {"TagKeyValue": "user:Environment$prod"}}, "cloudwatch_budget_cost_filters", "list of strings"),
    ],
)  # fmt: skip
def test_bad_prod_input_names_the_variable_and_the_fix(changes, variable, fix):
    problems, _ = review(with_(PROD, **changes))
    assert problems, f"{changes} should be refused"
    assert any(p.startswith(variable + ":") and fix in p for p in problems), problems


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("mongodb+srv://u:p@cluster0.abcde.mongodb.net/illustra?retryWrites=true", None),
        ("mongodb://u:p@db1.example.com:27017,db2.example.com:27018/illustra?replicaSet=rs0&authSource=admin", None),
        ("mongodb://10.0.0.5:27017/illustra", None),
        ("mongodb+srv://u:p%40ss@cluster0.abcde.mongodb.net/", None),
        ("postgres://u:p@host/db", "does not start with mongodb"),
        ("mongodb+srv://u:p@ss@cluster0.abcde.mongodb.net/illustra", "not percent-encoded"),
        ("mongodb+srv://u:p:q@cluster0.abcde.mongodb.net/illustra", "not percent-encoded"),
        ("mongodb+srv://u:100%@cluster0.abcde.mongodb.net/illustra", "not percent-encoded"),
        ("mongodb+srv://illustra:<db_password>@cluster0.abcde.mongodb.net/", "<placeholder>"),
        ("mongodb+srv://:p@cluster0.abcde.mongodb.net/", "empty user name"),
        ("mongodb+srv://u:p@cluster0.abcde.mongodb.net:27017/illustra", "with a port"),
        ("mongodb+srv://u:p@a.example.com,b.example.com/illustra", "several hosts"),
        ("mongodb+srv://u:p@localhost/illustra", "not a DNS name"),
        ("mongodb://u:p@db.example.com:99999/illustra", "not 1-65535"),
        ("mongodb://u:p@db.example.com:port/illustra", "not 1-65535"),
        ("mongodb://u:p@/illustra", "names no host"),
        ("mongodb://u:p@db_1.example.com/illustra", "not a host name"),
        ("mongodb://u:p@db.example.com/my$db", "database with characters"),
        ("mongodb://u:p@db.example.com/illustra?retryWrites", "not key=value"),
        ("mongodb+srv://u:p@cluster0.abcde.mongodb.net/illustra ", "whitespace"),
    ],
)
def test_mongodb_connection_strings(uri, reason):
    got = pf.mongodb_uri_reason(uri)
    assert (got is None) if reason is None else (reason in got), got
    if got:
        assert "u:p" not in got and "p@ss" not in got  # never quotes the string


@pytest.mark.parametrize(
    "uri",
    [
        "mongodb+srv://u:p@cluster0.abcde.mongodb.net/illustra?retryWrites=true",
        "mongodb://u:p@db1.example.com:27017,db2.example.com:27018/illustra?replicaSet=rs0",
        "mongodb+srv://u:p@ss@cluster0.abcde.mongodb.net/illustra",
        "mongodb+srv://u:p@cluster0.abcde.mongodb.net:27017/illustra",
        "mongodb+srv://u:p@a.example.com,b.example.com/illustra",
        "mongodb://u:p@db.example.com:99999/illustra",
        "mongodb://u:p@db.example.com/my$db",
        "mongodb://u:p@/illustra",
    ],
)
def test_connection_strings_agree_with_the_driver(uri):
    """Where the driver's own parser (without its DNS lookups) refuses a string, preflight refuses it too."""
    shared = pytest.importorskip("pymongo.uri_parser_shared")
    try:
        shared._validate_uri(uri.replace("mongodb+srv://", "mongodb://") if "+srv" not in uri else uri)
        driver_ok = True
    except Exception:  # InvalidURI, ConfigurationError, ValueError
        driver_ok = False
    assert (pf.mongodb_uri_reason(uri) is None) == driver_ok, uri


def test_atlas_uri_is_required_only_when_the_run_reaches_the_database():
    variables = with_(PROD, mongodb_mode="atlas")
    problems, _ = review(variables)
    assert any(p.startswith("mongodb_atlas_uri:") and "vault" in p for p in problems)
    assert review(variables, data_stage=False) == ([], [])
    assert review(variables, {"mongodb_atlas_uri": URI}) == ([], [])


def test_a_malformed_secret_is_refused_without_being_echoed():
    secret = "mongodb+srv://illustra:PLANTED-s3cr3t@cluster0.abcde.mongodb.net:27017/illustra"
    problems, _ = review(with_(PROD, mongodb_mode="atlas"), {"mongodb_atlas_uri": secret})
    assert any(p.startswith("mongodb_atlas_uri:") and "port" in p for p in problems)
    assert "PLANTED" not in "\n".join(problems)


@pytest.mark.parametrize(
    ("changes", "secrets", "variable", "rule"),
    [
        ({"alb_ssl_policy": "ELBSecurityPolicy-2016-08"}, {}, "alb_ssl_policy", "alb-tls"),
        ({"alb_ssl_policy": "ELBSecurityPolicy-TLS13-1-1-2021-06"}, {}, "alb_ssl_policy", "alb-tls"),
        ({"alb_ssl_policy": "ELBSecurityPolicy-TLS-1-0-2015-04"}, {}, "alb_ssl_policy", "alb-tls"),
        ({"cloudfront_minimum_protocol_version": "TLSv1.2_2019"}, {}, "cloudfront_minimum_protocol_version", "cloudfront-tls"),
        ({"cloudfront_minimum_protocol_version": "TLSv1.1_2016"}, {}, "cloudfront_minimum_protocol_version", "cloudfront-tls"),
        ({"alb_require_https": False}, {}, "alb_require_https", "origin-https"),
        ({"vpc_app_public_ingress_cidrs": ["0.0.0.0/0"]}, {}, "vpc_app_public_ingress_cidrs", "app-not-world-open"),
        (
            {"vpc_extra_security_groups": [{"key": "ssh", "description": "ssh", "ingress": [{"ports": [22], "cidr_ip": ["0.0.0.0/0"]}]}]},
            {}, "vpc_extra_security_groups", "admin-db-not-world-open",
        ),
        (
            {"vpc_extra_security_groups": [{"key": "db", "description": "db", "ingress": [{"ports": ["27000-28000"], "cidr_ip": ["0.0.0.0/0"]}]}]},
            {}, "vpc_extra_security_groups", "admin-db-not-world-open",
        ),
        ({"webstack_website_mode": "s3_website", "webstack_custom_domain": False}, {}, "webstack_website_mode", "private-website-bucket"),
        ({"webstack_waf_mode": "off"}, {}, "webstack_waf_mode", "waf-on"),
        ({"waf_rate_limit": 0}, {}, "waf_rate_limit", "waf-on"),
        ({"waf_managed_rule_groups": []}, {}, "waf_managed_rule_groups", "waf-on"),
        ({"vpc_flow_logs_enabled": False}, {}, "vpc_flow_logs_enabled", "flow-logs-on"),
        ({"webstack_access_logs": False}, {}, "webstack_access_logs", "access-logs-on"),
        ({"waf_logging_enabled": False}, {}, "waf_logging_enabled", "access-logs-on"),
        ({"asg_key_name": "ops"}, {}, "asg_key_name", "no-ssh-key"),
        ({"cloudfront_security_headers": {"hsts_max_age": 86400}}, {}, "cloudfront_security_headers", "hsts-a-year"),
        ({"mongodb_mode": "atlas"}, {"mongodb_atlas_uri": URI + "&tls=false"}, "mongodb_atlas_uri", "database-tls"),
        ({"mongodb_mode": "atlas"}, {"mongodb_atlas_uri": URI + "&tlsInsecure=true"}, "mongodb_atlas_uri", "database-tls"),
        ({"mongodb_password_length": 8}, {}, "mongodb_password_length", "strong-db-passwords"),
    ],
)  # fmt: skip
def test_weak_settings_are_refused_when_strict_and_flagged_elsewhere(changes, secrets, variable, rule):
    strict_problems, _ = review(with_(PROD, **changes), secrets)
    assert any(p.startswith(variable + ":") and f"[{rule}; refused" in p for p in strict_problems), strict_problems
    for level in ("warning", "informational"):
        problems, exceptions = review(with_(PROD, webstack_policy_level=level, **changes), secrets)
        assert not any(f"[{rule};" in p for p in problems), problems
        assert any(
            e.startswith(variable + ":") and f"[{rule}; allowed at webstack_policy_level {level}]" in e
            for e in exceptions
        )


@pytest.mark.parametrize(
    ("policy", "weak"),
    [
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", False),
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", False),
        ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", False),
        ("ELBSecurityPolicy-FS-1-2-Res-2020-10", False),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", False),
        ("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", False),
        ("ELBSecurityPolicy-2016-08", True),
        ("ELBSecurityPolicy-FS-2018-06", True),
        ("ELBSecurityPolicy-FS-1-1-2019-08", True),
        ("ELBSecurityPolicy-TLS13-1-0-2021-06", True),
    ],
)
def test_tls_policies_by_their_lowest_version(policy, weak):
    _, exceptions = review(with_(PROD, webstack_policy_level="warning", alb_ssl_policy=policy))
    assert any("[alb-tls;" in e for e in exceptions) == weak


def test_every_security_rule_is_documented():
    doc = (ROOT / "docs" / "preflight.md").read_text()
    for rule in pf.SECURITY_RULES:
        assert f"`{rule.id}`" in doc, rule.id


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [("t3.small", "x86_64"), ("t4g.small", "arm64"), ("m7g.large", "arm64"), ("c7gn.large", "arm64"),
     ("x2gd.large", "arm64"), ("a1.large", "arm64"), ("g4dn.xlarge", "x86_64"), ("m7i-flex.large", "x86_64")],
)  # fmt: skip
def test_instance_architecture_follows_ec2_naming(instance_type, arch):
    assert pf.instance_architecture(instance_type) == arch


def test_region_comes_from_botocore_for_the_roles_that_run():
    known = {"ec2": ("eu-west-1", "us-east-1"), "logs": ("eu-west-1", "us-east-1"), "wafv2": ("us-east-1",)}
    ok = pf.Review(with_(PROD, webstack_region="eu-west-1"), roles=["vpc"])
    pf.check_region(ok, known)
    assert ok.problems == []
    refused = pf.Review(with_(PROD, webstack_region="eu-west-1"), roles=["vpc", "waf"])
    pf.check_region(refused, known)
    assert refused.problems and "not a region of wafv2" in refused.problems[0]


def test_api_constraints_come_from_botocore():
    interval = pf.api_constraint("elbv2", "CreateTargetGroup.HealthCheckIntervalSeconds")
    assert (interval["min"], interval["max"]) == (5, 300)
    vault = pf.api_constraint("backup", "CreateBackupVault.BackupVaultName")
    assert vault["pattern"].fullmatch("illustra-prod-backup-vault") and not vault["pattern"].fullmatch("x" * 51)
    for param in pf.API_PARAMETERS:  # every path resolves in this botocore
        assert pf.api_constraint(param.service, param.path) is not None, param.path


def test_argument_specs_check_the_values_the_roles_will_use():
    spec = {"vpc": {"vpc_nat_mode": {"type": "str", "choices": ["none", "single", "per_az"], "description": "x"},
                    "vpc_az_count": {"type": "int", "description": "x"}}}  # fmt: skip
    problems, _ = review(with_(PROD, vpc_nat_mode="two", vpc_az_count="many"), argument_specs=spec)
    assert any(p.startswith("vpc_nat_mode:") and "none, single, per_az" in p and "roles/vpc" in p for p in problems)
    assert any(p.startswith("vpc_az_count:") for p in problems)


def test_every_problem_is_reported_at_once():
    problems, _ = review(with_(PROD, webstack_env="qa", vpc_cidr_block="bad", webstack_budget_usd=-1))
    assert {p.split(":")[0] for p in problems} >= {"webstack_env", "vpc_cidr_block", "webstack_budget_usd"}


def test_log_retention_choices_agree_between_roles():
    """CloudWatch Logs' retention periods are a choice in each role that sets one; the lists stay equal."""
    choices = {}
    for spec in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        options = yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"]
        for name, option in options.items():
            if re.search(r"log.*retention_days$", name):
                choices[name] = option.get("choices")
    assert {"cloudwatch_log_retention_days", "vpc_flow_logs_retention_days"} <= set(choices)
    assert len({tuple(c or ()) for c in choices.values()}) == 1, choices


STAGES = ["website", "backend_release", "validate"]
RELEASE = dict(
    PROD, website_build_dir="frontend/build", website_max_delete=50, backend_release_id="1.4.0", validate_retries=5
)


@pytest.mark.parametrize(
    ("changes", "variable", "fix"),
    [
        ({"website_build_dir": ""}, "website_build_dir", "build output"),
        ({"website_workers": 0}, "website_workers", "at least 1"),
        ({"website_max_delete": -1}, "website_max_delete", "at least 0"),
        ({"website_release_parameter": "website/last"}, "website_release_parameter", "parameter path"),
        ({"website_cache_rules": [{"pattern": "*.js"}]}, "website_cache_rules", "cache_control"),
        ({"website_backend_url": "api.example.com"}, "website_backend_url", "http(s) URL"),
        ({"backend_release_id": ""}, "backend_release_id", "like 1.4.0"),
        ({"backend_release_id": "1.4 final"}, "backend_release_id", "directory-safe"),
        ({"backend_release_validate_retries": 0}, "backend_release_validate_retries", "1 or more"),
        ({"validate_retries": 0}, "validate_retries", "at least 1"),
        ({"validate_api_health_path": "api/health"}, "validate_api_health_path", "start with /"),
        ({"validate_endpoints": {"api": "api.example.com"}}, "validate_endpoints", "http(s) URL"),
    ],
)
def test_the_later_stages_inputs_are_checked_when_their_stage_runs(changes, variable, fix):
    roles = list(pf.ROLE_SERVICES) + STAGES
    assert review(RELEASE, roles=roles) == ([], [])
    problems, _ = review(with_(RELEASE, **changes), roles=roles)
    assert any(p.startswith(variable + ":") and fix in p for p in problems), problems
    assert review(with_(RELEASE, **changes)) == ([], [])  # the stage does not run: not its inputs
