"""The whole prod stack in one site.yml run: the roles run on two lanes, and what one role publishes
reaches the roles that need it (the cross-role wiring), then a rerun and --check change nothing.
A backend release on the converged stack changes nothing but the release, even where the infrastructure
drifted; a role that the levels list schedules but no play runs fails the run by name."""

import base64

import boto3
import webstack_test as wt
from fault_proxy import FaultProxy
from stack_inventory import PROD_STACK, stack_inventory

DOMAIN = "illustra-demo.example.com"
# The release below runs through the emulator's instance refresh, in real seconds: AWS-valid small health
# check, warmup and checkpoint values keep it to seconds (prod's own are minutes). The same values in every
# converge, so that they are no drift.
QUICK = {
    "webstack_confirm": "prod",
    "alb_health_check_interval": 5,
    "alb_health_check_timeout": 4,
    "alb_healthy_threshold": 2,
    "alb_deregistration_delay": 3,
    "asg_health_check_grace_period": 5,
    "asg_instance_warmup": 2,
    "asg_refresh_checkpoint_delay": 2,
    "asg_refresh_poll_interval": 1,
}


def converge(check=False):
    return wt.run_playbook("playbooks/site.yml", "inventories/prod", extra_vars=QUICK, check=check)


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

    # The load balancer (level 1, lane a) serves HTTPS with the certificate from acm (level 0, lane a).
    listeners = boto3.client("elbv2").describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    (https,) = [listener for listener in listeners if listener["Port"] == 443]
    (certificate,) = https["Certificates"]
    described = boto3.client("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert described["Status"] == "ISSUED"
    assert {f"api.{DOMAIN}", f"*.{DOMAIN}"} & set(described["SubjectAlternativeNames"]), described

    # The backup role (level 2) found the database's role (level 1) and let it upload dumps.
    iam = boto3.client("iam")
    (db_role,) = [r["RoleName"] for r in iam.list_roles()["Roles"] if "mongodb" in r["RoleName"]]
    assert iam.list_role_policies(RoleName=db_role)["PolicyNames"], "no backup policy on the database's role"
    # The compute (level 1) found the artifact bucket (level 0) for its instances.
    ec2 = boto3.client("ec2")
    (template_id,) = [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    template = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"])
    user_data = base64.b64decode(template["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "illustra-prod-artifacts-" in user_data

    # The ALB (level 1) logs into the log bucket (level 0), whose policy lets ELB's log delivery write.
    account = boto3.client("sts").get_caller_identity()["Account"]
    attributes = boto3.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"])
    attributes = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == f"illustra-prod-logs-{account}"
    # The artifact and dump buckets (levels 0 and 2) keep server access logs there too.
    s3 = boto3.client("s3")
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"] if "-logs-" not in b["Name"]):
        assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"] == f"illustra-prod-logs-{account}"

    again = converge()
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()

    check = converge(check=True)
    assert check.rc == 0, check.summary()
    assert check.changed == 0, check.summary()
    assert stack_inventory("illustra", "prod") == PROD_STACK

    release_changes_only_the_release(clean_emulator, template_id)
    the_running_release_again_changes_nothing()


# What a release itself writes: the artifact (S3 PUT), the launch template version pinned to it, the group
# and its instance refresh, and the last known good record.
RELEASE_WRITES = {
    "Put",
    "CreateLaunchTemplateVersion",
    "ModifyLaunchTemplate",
    "UpdateAutoScalingGroup",
    "StartInstanceRefresh",
    "PutParameter",
}


def release_changes_only_the_release(endpoint, template_id):
    """deploy_backend.yml finds the network, bucket and load balancer with reads: it converges none of them.

    The infrastructure drifted first (an ingress rule of the app's security group was revoked): a
    release must not put it back (nor change anything else); the next infrastructure run does.
    """
    ec2 = boto3.client("ec2")
    (app,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["illustra-prod-app"]}])[
        "SecurityGroups"
    ]
    drift = app["IpPermissions"][0]
    ec2.revoke_security_group_ingress(GroupId=app["GroupId"], IpPermissions=[drift])
    before = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"])

    with FaultProxy(endpoint, rate=0.0) as proxy:
        proxy.record = []
        release = wt.run_playbook(
            "playbooks/deploy_backend.yml",
            "inventories/prod",
            extra_vars={
                **QUICK,
                "backend_release_id": "1.0.0",
                "backend_release_upload_collection": False,
                "backend_release_build_dir": "/tmp/webstack-test-releases",
                "backend_release_validate": False,  # the emulator's ALB serves no traffic
                "backend_release_backup_first": False,  # no database host to reach here (a prod release dumps first)
            },
            env={"AWS_ENDPOINT_URL": proxy.endpoint, "AWS_URL": proxy.endpoint},
        )
        calls = list(proxy.record)
    assert release.rc == 0, release.summary()
    writes = sorted({c.action for c in calls if c.mutating})
    assert set(writes) <= RELEASE_WRITES, (
        f"a release made infrastructure writes: {sorted(set(writes) - RELEASE_WRITES)}"
    )
    assert "CreateLaunchTemplateVersion" in writes and "PutParameter" in writes, writes
    (now,) = ec2.describe_security_groups(GroupIds=[app["GroupId"]])["SecurityGroups"]
    assert drift not in now["IpPermissions"], "the release put the drifted rule back: it converged the network"
    after = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"])
    latest = after["LaunchTemplateVersions"][0]
    assert latest["VersionNumber"] == before["LaunchTemplateVersions"][0]["VersionNumber"] + 1
    assert "RELEASE_ID=1.0.0" in base64.b64decode(latest["LaunchTemplateData"]["UserData"]).decode()


def the_running_release_again_changes_nothing():
    """Deploying the release that already runs (a converge with the same -e backend_release_id) changes nothing:
    the collection tarball, rebuilt with a new build time, is not uploaded again, and prod takes no dump before
    it (the database host is not reachable here: a dump would fail the run)."""
    release = {
        **QUICK,
        "backend_release_id": "1.0.0",
        "backend_release_build_dir": "/tmp/webstack-test-releases",
        "backend_release_validate": False,  # the emulator's ALB serves no traffic
    }
    first = wt.run_playbook("playbooks/deploy_backend.yml", "inventories/prod", extra_vars=release)
    assert first.rc == 0, first.summary()
    # The collection's first upload (the release above did not ship it); nothing else.
    assert [t.split(" : ")[-1] for t in first.changed_tasks()] == ["Upload the collection tarball"], first.summary()
    (dump,) = [t for t in first.tasks if t["name"] == "Dump the database and upload the dump before the release"]
    assert dump["hosts"] and all(r.get("skipped") for r in dump["hosts"].values()), dump

    again = wt.run_playbook("playbooks/deploy_backend.yml", "inventories/prod", extra_vars=release)
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()


def test_a_role_no_level_runs_fails_the_run_by_name(clean_emulator):
    """preflight__levels is the one list of what runs where: a role put on a level that no play of
    infrastructure.yml runs (one past the last) is reported, instead of the later stages going on without it."""
    levels = wt.run_playbook(
        "playbooks/preflight.yml", "inventories/prod", extra_vars={"webstack_confirm": "prod"}, check=True
    ).result("illustra.webstack.preflight : Publish the preflight outcome")["ansible_facts"]["preflight__output"][
        "levels"
    ]
    (level,) = [level for level in levels if any(entry["role"] == "cloudwatch" for entry in level)]
    (cloudwatch,) = [entry for entry in level if entry["role"] == "cloudwatch"]
    level.remove(cloudwatch)
    run = wt.run_playbook(
        "playbooks/site.yml",
        "inventories/prod",
        extra_vars={"webstack_confirm": "prod", "preflight__levels": [*levels, [cloudwatch]]},
        check=True,
    )
    assert run.rc != 0
    message = " ".join(run.failure_messages())
    # Levels count from 0: the new one is numbered len(levels).
    expected = f"cloudwatch__output did not arrive: the cloudwatch role (level {len(levels)}, lane a)"
    assert expected in message, message
