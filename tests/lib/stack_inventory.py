"""How many of each resource an environment's stack has in the emulator: duplicates and orphans show up here.

Used by the reliability tests (tests/integration/test_faults.py): after faults or a killed run, the
stack must hold exactly what a clean run builds, one of every resource.
"""

from __future__ import annotations

import boto3

# What a clean run builds for prod: one of every resource, or as many
# as prod's inventory asks for (two NAT gateways, an instance per ASG slot and the database's, ...).
PROD_STACK = {
    "vpcs": 1,
    "subnets": 4,
    "internet_gateways": 1,
    "nat_gateways": 2,
    "elastic_ips": 2,
    "security_groups": 3,
    "route_tables": 3,
    "flow_logs": 1,
    "instances": 3,
    "launch_templates": 1,
    "load_balancers": 1,
    "listeners": 2,
    "target_groups": 1,
    "autoscaling_groups": 1,
    "buckets": 4,
    "distributions": 1,
    "cloudfront_functions": 1,
    "cloudfront_log_deliveries": 1,
    "origin_access_controls": 1,
    "web_acls_cloudfront": 1,
    "web_acls_regional": 1,
    "waf_log_groups": 2,
    "certificates": 1,
    "hosted_zones": 1,
    "dns_records": 8,
    "iam_roles": 4,
    "iam_inline_policies": 4,
    "instance_profiles": 2,
    "ssm_parameters": 4,
    "log_groups": 3,
    "alarms": 9,
    "dashboards": 1,
    "sns_topics": 1,
    "budgets": 1,
    "backup_vaults": 1,
    "backup_plans": 1,
    "backup_selections": 1,
}


def _paginate(client, operation: str, key: str, **kwargs) -> list:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def stack_inventory(project: str, env: str, region: str = "us-east-1") -> dict[str, int]:
    """Counts of every kind of resource the collection builds for `project`-`env` (live ones only)."""
    prefix = f"{project}-{env}"
    ours = [{"Name": "tag:Project", "Values": [project]}, {"Name": "tag:Environment", "Values": [env]}]
    ec2 = boto3.client("ec2", region_name=region)
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=ours)["Vpcs"]]
    live = ["pending", "running", "stopping", "stopped"]
    counts = {
        "vpcs": len(vpcs),
        "subnets": len(ec2.describe_subnets(Filters=ours)["Subnets"]),
        "internet_gateways": len(ec2.describe_internet_gateways(Filters=ours)["InternetGateways"]),
        "nat_gateways": sum(
            n["State"] in ("pending", "available") for n in ec2.describe_nat_gateways(Filters=ours)["NatGateways"]
        ),
        "elastic_ips": len(ec2.describe_addresses(Filters=ours)["Addresses"]),
        "security_groups": len(ec2.describe_security_groups(Filters=ours)["SecurityGroups"]),
        "route_tables": len(ec2.describe_route_tables(Filters=ours)["RouteTables"]),
        "flow_logs": len(ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": vpcs}])["FlowLogs"])
        if vpcs
        else 0,
        "instances": sum(
            len(r["Instances"])
            for r in ec2.describe_instances(Filters=[*ours, {"Name": "instance-state-name", "Values": live}])[
                "Reservations"
            ]
        ),
        "launch_templates": len(ec2.describe_launch_templates(Filters=ours)["LaunchTemplates"]),
    }

    elbv2 = boto3.client("elbv2", region_name=region)
    albs = [
        lb
        for lb in _paginate(elbv2, "describe_load_balancers", "LoadBalancers")
        if lb["LoadBalancerName"].startswith(prefix)
    ]
    counts["load_balancers"] = len(albs)
    counts["listeners"] = sum(
        len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) for lb in albs
    )
    counts["target_groups"] = sum(
        tg["TargetGroupName"].startswith(prefix) for tg in _paginate(elbv2, "describe_target_groups", "TargetGroups")
    )
    autoscaling = boto3.client("autoscaling", region_name=region)
    counts["autoscaling_groups"] = sum(
        g["AutoScalingGroupName"].startswith(prefix)
        for g in _paginate(autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups")
    )

    s3 = boto3.client("s3", region_name=region)
    counts["buckets"] = sum(b["Name"].startswith(prefix) for b in s3.list_buckets()["Buckets"])

    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    dists = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    counts["distributions"] = sum(d.get("Comment", "").startswith(prefix) or _tagged(cloudfront, d, env) for d in dists)
    oacs = cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items", [])
    counts["origin_access_controls"] = sum(o["Name"].startswith(prefix) for o in oacs)
    functions = cloudfront.list_functions()["FunctionList"].get("Items") or []
    counts["cloudfront_functions"] = sum(f["Name"].startswith(prefix) for f in functions)
    deliveries = boto3.client("logs", region_name="us-east-1").describe_deliveries()["deliveries"]
    counts["cloudfront_log_deliveries"] = sum(d["deliverySourceName"].startswith(prefix) for d in deliveries)

    for scope, client_region in (("CLOUDFRONT", "us-east-1"), ("REGIONAL", region)):
        waf = boto3.client("wafv2", region_name=client_region)
        acls = waf.list_web_acls(Scope=scope)["WebACLs"]
        counts[f"web_acls_{scope.lower()}"] = sum(a["Name"].startswith(prefix) for a in acls)
    counts["waf_log_groups"] = sum(
        len(
            boto3.client("logs", region_name=logs_region).describe_log_groups(
                logGroupNamePrefix=f"aws-waf-logs-{prefix}"
            )["logGroups"]
        )
        for logs_region in sorted({"us-east-1", region})
    )

    acm = boto3.client("acm", region_name="us-east-1")
    counts["certificates"] = len(_paginate(acm, "list_certificates", "CertificateSummaryList"))
    route53 = boto3.client("route53")
    zones = _paginate(route53, "list_hosted_zones", "HostedZones")
    counts["hosted_zones"] = len(zones)
    counts["dns_records"] = sum(
        len(_paginate(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=z["Id"])) for z in zones
    )

    iam = boto3.client("iam")
    roles = [r["RoleName"] for r in _paginate(iam, "list_roles", "Roles") if r["RoleName"].startswith(prefix)]
    counts["iam_roles"] = len(roles)
    # Inline policies come from several roles (the backup role adds one to the database's role).
    counts["iam_inline_policies"] = sum(len(iam.list_role_policies(RoleName=r)["PolicyNames"]) for r in roles)
    counts["instance_profiles"] = sum(
        p["InstanceProfileName"].startswith(prefix)
        for p in _paginate(iam, "list_instance_profiles", "InstanceProfiles")
    )
    ssm = boto3.client("ssm", region_name=region)
    counts["ssm_parameters"] = len(
        _paginate(ssm, "get_parameters_by_path", "Parameters", Path=f"/{project}/{env}", Recursive=True)
    )
    logs = boto3.client("logs", region_name=region)
    counts["log_groups"] = len(
        _paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=f"/{project}/{env}")
    )
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    counts["alarms"] = len(_paginate(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=prefix))
    counts["dashboards"] = len(cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"])
    sns = boto3.client("sns", region_name=region)
    counts["sns_topics"] = sum(
        t["TopicArn"].split(":")[-1].startswith(prefix) for t in _paginate(sns, "list_topics", "Topics")
    )
    account = boto3.client("sts").get_caller_identity()["Account"]
    budgets = boto3.client("budgets", region_name="us-east-1").describe_budgets(AccountId=account).get("Budgets", [])
    counts["budgets"] = sum(b["BudgetName"].startswith(prefix) for b in budgets)

    backup = boto3.client("backup", region_name=region)
    counts["backup_vaults"] = sum(
        v["BackupVaultName"].startswith(prefix) for v in backup.list_backup_vaults()["BackupVaultList"]
    )
    plans = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"].startswith(prefix)]
    counts["backup_plans"] = len(plans)
    counts["backup_selections"] = sum(
        len(backup.list_backup_selections(BackupPlanId=p["BackupPlanId"])["BackupSelectionsList"]) for p in plans
    )
    return counts


def _tagged(cloudfront, dist: dict, env: str) -> bool:
    tags = cloudfront.list_tags_for_resource(Resource=dist["ARN"])["Tags"].get("Items", [])
    return {"Key": "Environment", "Value": env} in tags
