"""The whole prod stack in one site.yml run: the roles run on two lanes, and what one role publishes
reaches the roles that need it (the cross-role wiring), then a rerun and --check change nothing."""

import base64

import boto3
import webstack_test as wt
from stack_inventory import PROD_STACK, stack_inventory

DOMAIN = "illustra-demo.example.com"


def converge(check=False):
    return wt.run_playbook(
        "playbooks/site.yml", "inventories/prod", extra_vars={"webstack_confirm": "prod"}, check=check
    )


def test_prod_stack_wiring_idempotence_and_check(clean_emulator):
    first = converge()
    assert first.rc == 0, first.summary()
    assert {"webstack-lane-a", "webstack-lane-b"} <= set(first.stats), "the roles did not run on the two lanes"
    assert stack_inventory("illustra", "prod") == PROD_STACK

    # CloudFront reaches the API at api.<domain> over HTTPS: the ALB's certificate covers that name,
    # not the ALB's own elb.amazonaws.com name, and CloudFront checks the origin's certificate.
    cloudfront = boto3.client("cloudfront")
    (summary,) = cloudfront.list_distributions()["DistributionList"]["Items"]
    config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    (api,) = [o for o in config["Origins"]["Items"] if "CustomOriginConfig" in o]
    assert api["DomainName"] == f"api.{DOMAIN}"
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # ... and api.<domain> points at the ALB.
    (alb,) = boto3.client("elbv2").describe_load_balancers()["LoadBalancers"]
    (zone,) = boto3.client("route53").list_hosted_zones()["HostedZones"]
    records = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    (api_record,) = [r for r in records if r["Name"] == f"api.{DOMAIN}."]
    assert api_record["AliasTarget"]["DNSName"].rstrip(".").lower() == alb["DNSName"].lower()

    # The load balancer (level 2, lane a) serves HTTPS with the certificate from acm (level 1, lane b).
    listeners = boto3.client("elbv2").describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    (https,) = [listener for listener in listeners if listener["Port"] == 443]
    (certificate,) = https["Certificates"]
    described = boto3.client("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert described["Status"] == "ISSUED"
    assert {f"api.{DOMAIN}", f"*.{DOMAIN}"} & set(described["SubjectAlternativeNames"]), described

    # The backup role (level 3) found the database's role (level 2) and let it upload dumps.
    iam = boto3.client("iam")
    (db_role,) = [r["RoleName"] for r in iam.list_roles()["Roles"] if "mongodb" in r["RoleName"]]
    assert iam.list_role_policies(RoleName=db_role)["PolicyNames"], "no backup policy on the database's role"
    # The compute (level 2) found the artifact bucket (level 1) for its instances.
    ec2 = boto3.client("ec2")
    (template_id,) = [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    template = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"])
    user_data = base64.b64decode(template["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "illustra-prod-artifacts-" in user_data

    again = converge()
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()

    check = converge(check=True)
    assert check.rc == 0, check.summary()
    assert check.changed == 0, check.summary()
    assert stack_inventory("illustra", "prod") == PROD_STACK
