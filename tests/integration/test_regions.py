"""prod outside us-east-1 (issue 17, failure 8): the stack in eu-west-1 across three availability zones.

CloudFront is global and takes its certificate and web ACL from us-east-1, where its metrics (and the billing
metric) also live, so those alarms and the topic they notify are there too. Everything else is regional: the
network, the ALB (with the certificate of its own region), its web ACL, the compute, the buckets, the other
alarms. Converge, assert where each part is, rerun (changed=0), --check (changed=0), tear down both regions.
"""

from __future__ import annotations

import boto3
import pytest
import webstack_test as wt
from stack_inventory import stack_inventory

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
GLOBAL = "us-east-1"
# Three NAT gateways (one per AZ) estimate above prod's 250 USD budget: the test raises it.
EXTRA = {"webstack_confirm": "prod", "webstack_region": REGION, "vpc_az_count": 3, "webstack_budget_usd": 330}
# The only resources of ours that may live in us-east-1 (besides global services: IAM, Route 53, Budgets).
GLOBAL_PARTS = (
    f":acm:{GLOBAL}:",
    f":wafv2:{GLOBAL}:",
    f":logs:{GLOBAL}:",  # the CloudFront web ACL's logs, which WAF keeps in the ACL's region
    ":cloudfront::",
    f":sns:{GLOBAL}:",
    f":cloudwatch:{GLOBAL}:",
    ":iam::",
    ":route53:",
    ":budgets::",
)


def site(check=False):
    return wt.run_playbook("playbooks/site.yml", "inventories/prod", EXTRA, check=check)


def alarms(region):
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    found = cloudwatch.describe_alarms(AlarmNamePrefix="illustra-prod-")["MetricAlarms"]
    return {a["AlarmName"].removeprefix("illustra-prod-"): a for a in found}


def test_prod_in_eu_west_1_keeps_its_global_parts_in_us_east_1(clean_emulator):
    first = site()
    assert first.rc == 0, first.summary()

    # The network: three availability zones, a NAT gateway in each.
    regional = stack_inventory("illustra", "prod", REGION)
    assert (regional["vpcs"], regional["subnets"], regional["nat_gateways"]) == (1, 6, 3), regional
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Environment", "Values": ["prod"]}])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {f"{REGION}{az}" for az in "abc"}
    assert stack_inventory("illustra", "prod", GLOBAL)["vpcs"] == 0

    # The ALB serves the certificate of its own region; CloudFront the us-east-1 one (failure 8a).
    elbv2 = boto3.client("elbv2", region_name=REGION)
    (alb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    (https,) = [
        li for li in elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"] if li["Port"] == 443
    ]
    (alb_certificate,) = https["Certificates"]
    assert alb_certificate["CertificateArn"].split(":")[3] == REGION
    regional_acm = boto3.client("acm", region_name=REGION)
    assert (
        regional_acm.describe_certificate(CertificateArn=alb_certificate["CertificateArn"])["Certificate"]["Status"]
        == "ISSUED"
    )
    cloudfront = boto3.client("cloudfront", region_name=GLOBAL)
    (summary,) = cloudfront.list_distributions()["DistributionList"]["Items"]
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    assert config["ViewerCertificate"]["ACMCertificateArn"].split(":")[3] == GLOBAL

    # CloudFront's web ACL in us-east-1, the ALB's in eu-west-1.
    assert config["WebACLId"].split(":")[3] == GLOBAL
    assert [
        a["Name"] for a in boto3.client("wafv2", region_name=REGION).list_web_acls(Scope="REGIONAL")["WebACLs"]
    ] == ["illustra-prod-regional"]
    assert boto3.client("wafv2", region_name=GLOBAL).list_web_acls(Scope="REGIONAL")["WebACLs"] == []

    # The buckets are in eu-west-1, and CloudFront reaches the website bucket at its regional endpoint.
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.get_bucket_location(Bucket="illustra-prod-frontend")["LocationConstraint"] == REGION
    (origin,) = [o for o in config["Origins"]["Items"] if o["Id"].startswith("s3-")]
    assert origin["DomainName"] == f"illustra-prod-frontend.s3.{REGION}.amazonaws.com"

    # Alarms on CloudFront and billing metrics in us-east-1, notifying a topic there; the rest in eu-west-1
    # notifying the regional topic (failure 8b).
    global_alarms, regional_alarms = alarms(GLOBAL), alarms(REGION)
    assert set(global_alarms) == {"monitoring-cloudfront-5xx-rate", "monitoring-estimated-charges"}
    assert not any("cloudfront" in name or "estimated-charges" in name for name in regional_alarms)
    assert "monitoring-alb-target-5xx" in regional_alarms
    for region, found in ((GLOBAL, global_alarms), (REGION, regional_alarms)):
        topic = f"arn:aws:sns:{region}:123456789012:illustra-prod-alerts"
        assert all(a["AlarmActions"] == [topic] for name, a in found.items() if name.startswith("monitoring-")), found

    # Nothing else of ours in us-east-1 (bucket ARNs carry no region: moto lists them everywhere, so ask S3).
    misplaced = [
        r for r in wt.tagged_resources("illustra", "prod", region=GLOBAL) if not any(p in r for p in GLOBAL_PARTS)
    ]
    buckets = [r for r in misplaced if r.startswith("arn:aws:s3:::")]
    assert "arn:aws:s3:::illustra-prod-frontend" in buckets
    assert all(s3.get_bucket_location(Bucket=b.split(":")[-1])["LocationConstraint"] == REGION for b in buckets)
    assert [r for r in misplaced if r not in buckets] == []

    again = site()
    assert again.rc == 0 and again.changed == 0, again.summary()
    check = site(check=True)
    assert check.rc == 0 and check.changed == 0, check.summary()

    down = wt.run_playbook(
        "playbooks/teardown.yml",
        "inventories/prod",
        {"webstack_region": REGION, "teardown_confirm": "DESTROY-PROD", "teardown_delete_backups": True},
    )
    assert down.rc == 0, down.summary()
    for region in (REGION, GLOBAL):
        assert wt.tagged_resources("illustra", "prod", region=region) == [], region
        assert alarms(region) == {}, region
        assert boto3.client("acm", region_name=region).list_certificates()["CertificateSummaryList"] == []


def test_the_website_endpoint_has_the_regions_form(clean_emulator, tmp_path):
    """dev's S3 website endpoint in eu-west-1: the dash form (s3-website-<region>) that this region uses."""
    playbook = tmp_path / "bucket.yml"
    playbook.write_text(
        "- name: The website bucket\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Run the frontend_s3 role\n      ansible.builtin.include_role:\n        name: illustra.webstack.frontend_s3\n"
    )
    run = wt.run_playbook(str(playbook), "inventories/dev", {"webstack_region": REGION})
    assert run.rc == 0, run.summary()
    output = run.result("illustra.webstack.frontend_s3 : Publish the bucket for later roles")["ansible_facts"]
    assert (
        output["frontend_s3__output"]["website_endpoint"] == f"illustra-dev-frontend.s3-website-{REGION}.amazonaws.com"
    )
    location = boto3.client("s3", region_name=REGION).get_bucket_location(Bucket="illustra-dev-frontend")
    assert location["LocationConstraint"] == REGION
