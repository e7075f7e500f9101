"""Each emulator patch: the gap in plain moto, and the emulator answering as AWS does.

The "gap" tests use moto's models in this process (unpatched); the "fixed" tests go through the
harness's emulator (patched), the way every playbook reaches it.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest

S3_DOMAIN = "site.s3.us-east-1.amazonaws.com"


@pytest.fixture(autouse=True)
def _gap_tests_use_plain_moto(request, monkeypatch):
    """Gap tests run moto in this process (mock_aws); an emulator endpoint set by an earlier
    fixture must not send their calls to the patched emulator instead."""
    if request.node.name.startswith("test_gap"):
        for var in ("AWS_ENDPOINT_URL", "AWS_URL"):
            monkeypatch.delenv(var, raising=False)


def _origin(oac_id):
    return {
        "Id": "s3",
        "DomainName": S3_DOMAIN,
        "OriginAccessControlId": oac_id,
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }


def test_gap_plain_moto_drops_the_origin_access_control():
    from moto.cloudfront import models

    origin = models.Origin(_origin("E2OAC"))
    assert getattr(origin, "origin_access_control_id", None) is None


def test_fixed_cloudfront_keeps_origin_access_control_and_s3_config(clean_emulator):
    cloudfront = boto3.client("cloudfront")
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "patch-test",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    dist = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "patch-test",
            "Comment": "patch test",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [_origin(oac)]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]
    stored = cloudfront.get_distribution_config(Id=dist["Id"])["DistributionConfig"]["Origins"]["Items"][0]
    assert stored["OriginAccessControlId"] == oac
    assert stored["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def _distribution_config(reference, origin):
    return {
        "CallerReference": reference,
        "Comment": reference,
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }


def test_gap_plain_moto_accepts_an_unknown_origin_access_control():
    from moto import mock_aws
    from moto.cloudfront import models

    if getattr(models.Origin.__init__, "_webstack_patched", False):
        pytest.skip("moto already patched in this process")
    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        assert cloudfront.create_distribution(DistributionConfig=_distribution_config("gap-oac", _origin("E2NOSUCH")))


def test_fixed_unknown_origin_access_control_is_refused(clean_emulator):
    cloudfront = boto3.client("cloudfront")
    with pytest.raises(cloudfront.exceptions.ClientError, match="InvalidOriginAccessControl"):
        cloudfront.create_distribution(DistributionConfig=_distribution_config("fixed-oac", _origin("E2NOSUCH")))
    assert cloudfront.list_distributions()["DistributionList"].get("Items", []) == []


# ---- AWS Backup: a missing vault answers AccessDeniedException (as AWS does), not ResourceNotFound


def test_gap_plain_moto_missing_backup_vault_is_resource_not_found():
    import pytest
    from moto.backup import models

    describe = getattr(
        models.BackupBackend.describe_backup_vault, "__wrapped__", models.BackupBackend.describe_backup_vault
    )
    backend = models.BackupBackend("us-east-1", "123456789012")
    with pytest.raises(Exception) as err:
        describe(backend, "missing")
    assert err.value.error_type == "ResourceNotFoundException"


def test_fixed_missing_backup_vault_is_access_denied(clean_emulator):
    import pytest
    from botocore.exceptions import ClientError

    backup = boto3.client("backup")
    with pytest.raises(ClientError) as err:
        backup.describe_backup_vault(BackupVaultName="missing")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    backup.create_backup_vault(BackupVaultName="present")
    assert backup.describe_backup_vault(BackupVaultName="present")["BackupVaultName"] == "present"


# ---- S3: a TLS-only bucket policy (Deny when aws:SecureTransport is false) must not deny everything

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_gap_plain_moto_denies_everything_under_a_tls_only_policy():
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult

    result = IAMPolicy(json.dumps(TLS_ONLY)).is_action_permitted("s3:PutObject", "arn:aws:s3:::tls-only/k")
    assert result == PermissionResult.DENIED


def test_fixed_tls_only_policy_allows_requests_and_unconditional_deny_still_denies(clean_emulator):
    import json

    import pytest
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(TLS_ONLY))
    s3.put_object(Bucket="tls-only", Key="k", Body=b"x")
    assert s3.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"x"
    deny_all = {**TLS_ONLY, "Statement": [{k: v for k, v in TLS_ONLY["Statement"][0].items() if k != "Condition"}]}
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(deny_all))
    with pytest.raises(ClientError):
        s3.put_object(Bucket="tls-only", Key="k2", Body=b"x")


# ---- SSM: Debian's public AMI parameters


def test_gap_plain_moto_has_no_debian_public_parameters():
    from moto.ssm import models

    check = getattr(
        models.ParameterDict._check_loading_status, "__wrapped__", models.ParameterDict._check_loading_status
    )
    params = models.ParameterDict("123456789012", "us-east-1")
    check(params, "/aws/service/debian/release/12/latest/amd64")
    assert "/aws/service/debian/release/12/latest/amd64" not in dict(params)


def test_fixed_debian_public_parameter_names_a_runnable_ami(clean_emulator):
    for arch, expected in (("amd64", "x86_64"), ("arm64", "arm64")):
        name = f"/aws/service/debian/release/12/latest/{arch}"
        ami = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
        (image,) = boto3.client("ec2").describe_images(ImageIds=[ami])["Images"]
        assert image["Architecture"] == expected
    with pytest.raises(boto3.client("ssm").exceptions.ParameterNotFound):
        boto3.client("ssm").get_parameter(Name="/aws/service/debian/release/13/latest/amd64")


def test_gap_plain_moto_lacks_budget_subscribers_and_update():
    from moto.budgets import responses

    assert not hasattr(responses.BudgetsResponse, "describe_subscribers_for_notification")
    assert not hasattr(responses.BudgetsResponse, "update_budget")


def test_fixed_budgets_reads_subscribers_and_updates_the_limit(clean_emulator):
    budgets = boto3.client("budgets", region_name="us-east-1")
    account = boto3.client("sts").get_caller_identity()["Account"]
    note = {
        "NotificationType": "ACTUAL",
        "ComparisonOperator": "GREATER_THAN",
        "Threshold": 80.0,
        "ThresholdType": "PERCENTAGE",
    }
    subscribers = [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}]
    budget = {
        "BudgetName": "patch",
        "BudgetLimit": {"Amount": "50", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }
    budgets.create_budget(
        AccountId=account,
        Budget=budget,
        NotificationsWithSubscribers=[{"Notification": note, "Subscribers": subscribers}],
    )
    got = budgets.describe_subscribers_for_notification(AccountId=account, BudgetName="patch", Notification=note)
    assert got["Subscribers"] == subscribers
    budgets.update_budget(AccountId=account, NewBudget=dict(budget, BudgetLimit={"Amount": "75", "Unit": "USD"}))
    assert budgets.describe_budget(AccountId=account, BudgetName="patch")["Budget"]["BudgetLimit"]["Amount"] == "75"

    # UpdateBudget replaces the budget: a filter left out of the new budget is gone.
    filtered = dict(budget, CostFilters={"Region": ["us-east-1"]})
    budgets.update_budget(AccountId=account, NewBudget=filtered)
    assert budgets.describe_budget(AccountId=account, BudgetName="patch")["Budget"]["CostFilters"] == {
        "Region": ["us-east-1"]
    }
    budgets.update_budget(AccountId=account, NewBudget=budget)
    assert "CostFilters" not in budgets.describe_budget(AccountId=account, BudgetName="patch")["Budget"]
    both = dict(budget, PlannedBudgetLimits={"1767225600": {"Amount": "50", "Unit": "USD"}})
    with pytest.raises(budgets.exceptions.InvalidParameterException):
        budgets.update_budget(AccountId=account, NewBudget=both)
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.update_budget(AccountId=account, NewBudget=dict(budget, BudgetName="missing"))


_HEADERS_POLICY = {
    "Name": "patch-test-headers",
    "SecurityHeadersConfig": {
        "StrictTransportSecurity": {"Override": True, "IncludeSubdomains": True, "AccessControlMaxAgeSec": 63072000},
        "ContentTypeOptions": {"Override": True},
        "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": "default-src 'self'"},
    },
}


def test_gap_plain_moto_has_no_response_headers_policy_api():
    from moto.cloudfront import urls
    from moto.cloudfront.responses import CloudFrontResponse

    assert not any("response-headers-policy" in path for path in urls.url_paths)
    assert not hasattr(CloudFrontResponse, "create_response_headers_policy")


def test_fixed_response_headers_policy_lifecycle(clean_emulator):
    import pytest

    cloudfront = boto3.client("cloudfront")
    created = cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=_HEADERS_POLICY)
    policy_id = created["ResponseHeadersPolicy"]["Id"]
    listed = cloudfront.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]["Items"]
    assert [p["ResponseHeadersPolicy"]["Id"] for p in listed] == [policy_id]
    got = cloudfront.get_response_headers_policy(Id=policy_id)
    assert got["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"] == _HEADERS_POLICY
    with pytest.raises(cloudfront.exceptions.PreconditionFailed):
        cloudfront.update_response_headers_policy(
            Id=policy_id, IfMatch="x", ResponseHeadersPolicyConfig=_HEADERS_POLICY
        )
    updated = dict(_HEADERS_POLICY, Comment="updated")
    cloudfront.update_response_headers_policy(Id=policy_id, IfMatch=got["ETag"], ResponseHeadersPolicyConfig=updated)
    again = cloudfront.get_response_headers_policy(Id=policy_id)
    assert again["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["Comment"] == "updated"
    cloudfront.delete_response_headers_policy(Id=policy_id, IfMatch=again["ETag"])
    with pytest.raises(cloudfront.exceptions.NoSuchResponseHeadersPolicy):
        cloudfront.get_response_headers_policy(Id=policy_id)


# ---- ELB target health and Auto Scaling instance refresh, modelled as AWS runs them (emulator_refresh.py)

HEALTH = {"HealthCheckIntervalSeconds": 5, "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}


def _wait_until(probe, timeout, period=0.2):
    """Poll `probe` until it returns something truthy (bounded); returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(period)


def _hook(endpoint, path, body, method="POST"):
    data = None if method == "GET" else json.dumps(body).encode()
    url = f"{endpoint}/moto-api/webstack/{path}"
    if method == "GET":
        url += "?" + urllib.parse.urlencode(body)
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _network(ec2, cidr="10.96"):
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{n}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for n, az in ((1, "a"), (2, "b"))
    ]
    return vpc, subnets


def _served_target_group(elb, vpc, subnets, name="refresh", delay=1):
    """A target group a load balancer's listener forwards to (AWS reports targets of an unused one unused)."""
    tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, **HEALTH)["TargetGroups"][0]
    elb.modify_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"],
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}],
    )
    lb = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    return tg["TargetGroupArn"]


def _template(ec2, name, versions=2):
    lt = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-785db401"})
    lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
    for _ in range(versions - 1):
        ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData={"ImageId": "ami-785db401"})
    return lt_id


def _group(asg, name, lt_id, subnets, size, tg=None, version="1", grace=0):
    kwargs = {"TargetGroupARNs": [tg], "HealthCheckType": "ELB"} if tg else {"HealthCheckType": "EC2"}
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": lt_id, "Version": version},
        MinSize=0,
        MaxSize=size * 2 + 2,
        DesiredCapacity=size,
        VPCZoneIdentifier=subnets[0],
        HealthCheckGracePeriod=grace,
        **kwargs,
    )


def _describe(asg, name):
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    refreshes = asg.describe_instance_refreshes(AutoScalingGroupName=name)["InstanceRefreshes"]
    return group, (refreshes[0] if refreshes else {})


def _health(elb, tg, targets=None):
    kwargs = {"Targets": [{"Id": t} for t in targets]} if targets else {}
    found = elb.describe_target_health(TargetGroupArn=tg, **kwargs)["TargetHealthDescriptions"]
    return {t["Target"]["Id"]: (t["TargetHealth"]["State"], t["TargetHealth"].get("Reason")) for t in found}


@pytest.mark.parametrize(
    "desired, in_service, healthy, remaining, min_pct, max_pct, unhealthy, cap, expect",
    [
        (1, 1, 1, 1, 100, 200, 0, None, (1, 0)),  # one instance, launch before terminate
        (2, 2, 2, 2, 100, 200, 0, None, (2, 0)),  # max 200 %: the whole group launches first
        (2, 2, 2, 2, 100, None, 0, None, (0, 1)),  # max omitted, min 100 %: one at a time
        (10, 10, 10, 10, 80, None, 0, None, (0, 2)),  # AWS's example: 10 instances, 80 % -> two at a time
        (10, 10, 10, 10, 90, 110, 0, None, (1, 1)),  # one above, one below
        (1, 1, 1, 1, 100, 100, 0, None, (1, 0)),  # both bounds impossible: launch one first
        (4, 4, 4, 4, 0, None, 0, None, (0, 4)),  # 0 %: everything at once
        (10, 10, 10, 10, 80, None, 0, 1, (0, 1)),  # a checkpoint needs one more
        (2, 2, 1, 2, 100, None, 0, None, (0, 0)),  # already below the minimum: wait
        (2, 2, 1, 2, 100, None, 1, None, (0, 1)),  # ... but an unhealthy old instance may go
        (3, 3, 3, 1, 0, None, 0, None, (0, 1)),  # never more than what is left
    ],
)
def test_refresh_batches_keep_the_healthy_bounds(
    desired, in_service, healthy, remaining, min_pct, max_pct, unhealthy, cap, expect
):
    import emulator_refresh

    got = emulator_refresh.plan_batch(desired, in_service, healthy, remaining, min_pct, max_pct, unhealthy, cap)
    assert got == expect
    launch_first, terminate_now = got
    if max_pct is not None and expect != (1, 0):
        assert in_service + launch_first <= desired * max_pct // 100
    if unhealthy == 0 and healthy >= -(-desired * min_pct // 100):
        assert healthy - terminate_now >= -(-desired * min_pct // 100) or (max_pct is None and terminate_now == 1)


@pytest.mark.parametrize(
    "checkpoints, reached, replaced, total, expect",
    [
        ([], 0, 0, 4, None),
        ([50, 100], 0, 0, 4, 2),
        ([25, 100], 0, 0, 4, 1),
        ([50, 100], 1, 2, 4, 2),
        ([10, 40, 100], 0, 0, 2, 1),  # AWS's example: two instances, the first replacement passes 10 and 40
        ([20, 50], 2, 1, 2, None),  # a partial refresh past its last checkpoint
    ],
)
def test_refresh_never_overshoots_a_checkpoint(checkpoints, reached, replaced, total, expect):
    import emulator_refresh

    assert emulator_refresh.checkpoint_cap(checkpoints, reached, replaced, total) == expect


def test_gap_plain_moto_has_no_instance_refresh():
    from moto.autoscaling import responses

    if getattr(responses.AutoScalingResponse, "_webstack_refresh_patched", False):
        pytest.skip("moto already patched in this process")
    assert not hasattr(responses.AutoScalingResponse, "start_instance_refresh")
    assert not hasattr(responses.AutoScalingResponse, "describe_instance_refreshes")


def test_gap_plain_moto_reports_targets_healthy_at_once_and_unused_at_once():
    from moto import mock_aws
    from moto.elbv2 import models

    if getattr(models.FakeTargetGroup.register, "_webstack_patched", False):
        pytest.skip("moto already patched in this process")
    with mock_aws():
        ec2, elb = boto3.client("ec2", region_name="us-east-1"), boto3.client("elbv2", region_name="us-east-1")
        vpc, subnets = _network(ec2)
        tg = _served_target_group(elb, vpc, subnets, delay=300)
        instance = ec2.run_instances(ImageId="ami-785db401", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
        assert _health(elb, tg)[instance][0] == "healthy", "AWS: initial until the checks pass"
        elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": instance}])
        assert _health(elb, tg, [instance])[instance][0] == "unused", "AWS: draining for the deregistration delay"


def test_fixed_target_health_draining_not_in_use_and_reports(clean_emulator):
    ec2, elb = boto3.client("ec2"), boto3.client("elbv2")
    vpc, subnets = _network(ec2)
    tg = _served_target_group(elb, vpc, subnets, delay=1)
    instances = [
        i["InstanceId"] for i in ec2.run_instances(ImageId="ami-785db401", MinCount=3, MaxCount=3)["Instances"]
    ]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": i} for i in instances])
    assert set(_health(elb, tg).values()) == {("initial", "Elb.RegistrationInProgress")}

    # A data plane's report wins over the model, for registered targets only.
    status, answer = _hook(
        clean_emulator,
        "target-health",
        {
            "TargetGroupArn": tg,
            "Targets": [
                {
                    "Id": instances[0],
                    "Port": 80,
                    "State": "unhealthy",
                    "Reason": "Target.ResponseCodeMismatch",
                    "Description": "Health checks failed with these codes: [502]",
                },
                {"Id": "i-0123456789abcdef0", "State": "healthy"},
            ],
        },
    )
    assert status == 200 and answer["Applied"] == [instances[0]] and answer["Ignored"] == ["i-0123456789abcdef0"]
    described = elb.describe_target_health(TargetGroupArn=tg, Targets=[{"Id": instances[0]}])[
        "TargetHealthDescriptions"
    ]
    assert described[0]["TargetHealth"] == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [502]",
    }
    status, listed = _hook(clean_emulator, "target-health", {"TargetGroupArn": tg}, method="GET")
    assert status == 200 and [r["Id"] for r in listed["Reports"]] == [instances[0]]

    # Deregistered: draining for the deregistration delay (and listed), then gone.
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": instances[0]}])
    assert _health(elb, tg)[instances[0]] == ("draining", "Target.DeregistrationInProgress")
    assert _wait_until(lambda: instances[0] not in _health(elb, tg), 10)
    assert _health(elb, tg, [instances[0]])[instances[0]] == ("unused", "Target.NotRegistered")

    # A stopped instance, and a target group no listener forwards to.
    ec2.stop_instances(InstanceIds=[instances[1]])
    assert _health(elb, tg)[instances[1]] == ("unused", "Target.InvalidState")
    idle = elb.create_target_group(Name="idle", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    elb.register_targets(TargetGroupArn=idle, Targets=[{"Id": instances[2]}])
    assert _health(elb, idle)[instances[2]] == ("unused", "Target.NotInUse")


def test_fixed_hooks_refuse_what_they_cannot_apply(clean_emulator):
    ec2, elb = boto3.client("ec2"), boto3.client("elbv2")
    vpc, subnets = _network(ec2)
    tg = _served_target_group(elb, vpc, subnets)
    bad = [
        (
            "target-health",
            {"TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1", "Targets": []},
        ),
        ("target-health", {"TargetGroupArn": tg, "Targets": [{"Id": "i-1", "State": "fine"}]}),
        ("target-health", {"TargetGroupArn": tg, "Targets": [{"Id": "i-1", "State": "unhealthy", "Reason": "Bad"}]}),
        ("target-health", {"TargetGroupArn": tg, "LaunchTemplateVersion": "$Latest", "State": "unhealthy"}),
        ("target-health", {"TargetGroupArn": tg, "LaunchTemplateVersion": "2", "State": "draining"}),
        ("target-health", {"TargetGroupArn": tg}),
        ("instance-refresh", {"HealthTimeoutSeconds": 7200}),
    ]
    for path, body in bad:
        status, answer = _hook(clean_emulator, path, body)
        assert status == 400 and answer["Error"], (body, answer)


def test_fixed_refresh_rolls_in_batches_on_target_health(clean_emulator):
    ec2, elb, asg = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("autoscaling")
    vpc, subnets = _network(ec2)
    tg = _served_target_group(elb, vpc, subnets)
    lt = _template(ec2, "rolling")
    _group(asg, "rolling", lt, subnets, 2, tg=tg, grace=2)
    group, _ = _describe(asg, "rolling")
    before = {i["InstanceId"] for i in group["Instances"]}
    assert {i["LaunchTemplate"]["Version"] for i in group["Instances"]} == {"1"}
    assert {s for s, _r in _health(elb, tg).values()} == {"initial"}, "new targets start initial"
    # HealthyThresholdCount (2) checks HealthCheckIntervalSeconds (5) apart: healthy after 10 s, not before.
    assert _wait_until(lambda: {s for s, _r in _health(elb, tg).values()} == {"healthy"}, 20)

    refresh_id = asg.start_instance_refresh(
        AutoScalingGroupName="rolling",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}},
        Preferences={
            "MinHealthyPercentage": 100,
            "MaxHealthyPercentage": 200,
            "InstanceWarmup": 1,
            "SkipMatching": True,
        },
    )["InstanceRefreshId"]
    samples = []

    def sample():
        group, refresh = _describe(asg, "rolling")
        health = _health(elb, tg)
        serving = [
            i
            for i in group["Instances"]
            if i["LifecycleState"] == "InService" and health.get(i["InstanceId"], ("",))[0] == "healthy"
        ]
        samples.append(
            (refresh["Status"], len(serving), len(group["Instances"]), group["LaunchTemplate"]["Version"], refresh)
        )
        return refresh["Status"] not in ("Pending", "InProgress")

    assert _wait_until(sample, 60, period=0.1)
    statuses = [s[0] for s in samples]
    assert statuses[0] == "Pending" and "InProgress" in statuses and statuses[-1] == "Successful", statuses
    in_progress = [s for s in samples if s[0] == "InProgress"]
    assert min(s[1] for s in in_progress) >= 2, "MinHealthyPercentage 100: two healthy instances throughout"
    assert max(s[2] for s in in_progress) == 4, "MaxHealthyPercentage 200: replacements launch before terminating"
    assert {s[3] for s in in_progress} == {"1"}, "the group takes the desired version only on success"
    assert any("insufficient data to evaluate its health" in s[4].get("StatusReason", "") for s in in_progress)
    final = samples[-1][4]
    assert (final["InstanceRefreshId"], final["PercentageComplete"], final["InstancesToUpdate"]) == (refresh_id, 100, 0)
    assert final["EndTime"] >= final["StartTime"]

    group, _ = _describe(asg, "rolling")
    assert group["LaunchTemplate"]["Version"] == "2"
    serving = {i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService"}
    assert len(serving) == 2 and not serving & before
    assert {i["LaunchTemplate"]["Version"] for i in group["Instances"] if i["InstanceId"] in serving} == {"2"}
    health = _health(elb, tg)
    assert {i for i, (s, _r) in health.items() if s != "draining"} == serving
    assert {health.get(i, ("gone",))[0] for i in before} <= {"draining", "gone"}
    # The old instances drain (1 s), then terminate and leave the group.
    assert _wait_until(lambda: {i["InstanceId"] for i in _describe(asg, "rolling")[0]["Instances"]} == serving, 15)
    states = ec2.describe_instances(InstanceIds=sorted(before))["Reservations"]
    assert {i["State"]["Name"] for r in states for i in r["Instances"]} == {"terminated"}
    with pytest.raises(asg.exceptions.ClientError, match="ActiveInstanceRefreshNotFound"):
        asg.rollback_instance_refresh(AutoScalingGroupName="rolling")


def test_fixed_refresh_fails_when_health_never_comes_and_rolls_back(clean_emulator):
    ec2, elb, asg = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("autoscaling")
    vpc, subnets = _network(ec2)
    tg = _served_target_group(elb, vpc, subnets)
    lt = _template(ec2, "broken")
    for name in ("rolls-back", "fails"):
        _group(asg, name, lt, subnets, 1, tg=tg)
    # Version 2 is a broken release: its instances never pass their health checks. AWS retries for an hour
    # before it fails the refresh; the harness shortens the wait.
    assert (
        _hook(
            clean_emulator, "target-health", {"TargetGroupArn": tg, "LaunchTemplateVersion": "2", "State": "unhealthy"}
        )[0]
        == 200
    )
    assert _hook(clean_emulator, "instance-refresh", {"HealthTimeoutSeconds": 14})[0] == 200
    before = {name: {i["InstanceId"] for i in _describe(asg, name)[0]["Instances"]} for name in ("rolls-back", "fails")}
    for name, rollback in (("rolls-back", True), ("fails", False)):
        asg.start_instance_refresh(
            AutoScalingGroupName=name,
            DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}},
            Preferences={
                "MinHealthyPercentage": 100,
                "MaxHealthyPercentage": 200,
                "InstanceWarmup": 1,
                "AutoRollback": rollback,
            },
        )
    seen, unhealthy = {"rolls-back": [], "fails": []}, set()

    def sample():
        for name, statuses in seen.items():
            group, refresh = _describe(asg, name)
            if not statuses or statuses[-1] != refresh["Status"]:
                statuses.append(refresh["Status"])
            unhealthy.update(i["InstanceId"] for i in group["Instances"] if i["HealthStatus"] == "Unhealthy")
        return all(s[-1] in ("RollbackSuccessful", "Failed") for s in seen.values())

    assert _wait_until(sample, 60, period=0.2), seen
    assert seen["rolls-back"][-3:] == ["InProgress", "RollbackInProgress", "RollbackSuccessful"], seen
    assert seen["fails"][-2:] == ["InProgress", "Failed"], seen
    assert unhealthy, "Auto Scaling replaced a replacement that failed its health checks after the grace period"
    _, refresh = _describe(asg, "rolls-back")
    assert refresh["RollbackDetails"]["RollbackReason"].startswith("Automatic rollback")
    assert "did not pass their health checks within 14 seconds" in refresh["StatusReason"]
    group, _ = _describe(asg, "rolls-back")
    assert group["LaunchTemplate"]["Version"] == "1"
    serving = {
        i["InstanceId"]: i["LaunchTemplate"]["Version"]
        for i in group["Instances"]
        if i["LifecycleState"] == "InService"
    }
    assert serving == {i: "1" for i in before["rolls-back"]}, "the previous release kept serving and still does"
    group, refresh = _describe(asg, "fails")
    assert refresh["Status"] == "Failed" and "RollbackDetails" not in refresh
    assert group["LaunchTemplate"]["Version"] == "1"
    versions = sorted(i["LaunchTemplate"]["Version"] for i in group["Instances"] if i["LifecycleState"] == "InService")
    assert versions == ["1", "2"], "without rollback the failed replacement stays beside the old instance"


def test_gap_plain_moto_stores_a_zero_grace_period_as_300():
    from moto import mock_aws
    from moto.autoscaling import models

    if getattr(models.AutoScalingBackend.create_auto_scaling_group, "__wrapped__", None):
        pytest.skip("moto already patched in this process")
    with mock_aws():
        ec2, asg = boto3.client("ec2", region_name="us-east-1"), boto3.client("autoscaling", region_name="us-east-1")
        _vpc, subnets = _network(ec2)
        _group(asg, "grace", _template(ec2, "grace", 1), subnets, 1, grace=0)
        (group,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["grace"])["AutoScalingGroups"]
        assert group["HealthCheckGracePeriod"] == 300


def test_fixed_checkpoints_cancel_and_manual_rollback(clean_emulator):
    ec2, elb, asg = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("autoscaling")
    vpc, subnets = _network(ec2)
    lt = _template(ec2, "ec2-only")
    for name, size in (("checkpoints", 4), ("matching", 2)):
        _group(asg, name, lt, subnets, size)  # EC2 health: healthy once running
    assert _describe(asg, "matching")[0]["HealthCheckGracePeriod"] == 0, "AWS keeps a zero grace period"
    # Cancelling and RollbackInProgress last while the terminations they started drain from the target group.
    tg = _served_target_group(elb, vpc, subnets, delay=2)
    for name in ("cancel", "rollback"):
        _group(asg, name, lt, subnets, 2, tg=tg)
    desired = {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}}
    asg.start_instance_refresh(
        AutoScalingGroupName="checkpoints",
        DesiredConfiguration=desired,
        Preferences={
            "MinHealthyPercentage": 50,
            "InstanceWarmup": 1,
            "CheckpointPercentages": [25, 100],
            "CheckpointDelay": 2,
        },
    )
    slow = {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 300}
    asg.start_instance_refresh(AutoScalingGroupName="rollback", DesiredConfiguration=desired, Preferences=slow)
    asg.start_instance_refresh(
        AutoScalingGroupName="cancel", DesiredConfiguration=desired, Preferences={"MinHealthyPercentage": 50}
    )
    asg.start_instance_refresh(
        AutoScalingGroupName="matching",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "1"}},
        Preferences={"SkipMatching": True},
    )
    assert _wait_until(lambda: all(_describe(asg, n)[1]["Status"] == "InProgress" for n in ("cancel", "rollback")), 10)

    assert asg.cancel_instance_refresh(AutoScalingGroupName="cancel")["InstanceRefreshId"]
    assert _describe(asg, "cancel")[1]["Status"] == "Cancelling"
    assert asg.rollback_instance_refresh(AutoScalingGroupName="rollback")["InstanceRefreshId"]
    _, refresh = _describe(asg, "rollback")
    assert refresh["Status"] == "RollbackInProgress"
    assert refresh["RollbackDetails"]["RollbackReason"].startswith("Rollback initiated manually")

    checkpoint = _wait_until(
        lambda: "Checkpoint 25% reached" in (_describe(asg, "checkpoints")[1].get("StatusReason") or ""), 20
    )
    assert checkpoint, _describe(asg, "checkpoints")[1]
    _, refresh = _describe(asg, "checkpoints")
    assert (refresh["Status"], refresh["PercentageComplete"], refresh["InstancesToUpdate"]) == ("InProgress", 25, 3)
    done = lambda name, status: _describe(asg, name)[1]["Status"] == status  # noqa: E731
    assert _wait_until(
        lambda: (
            done("checkpoints", "Successful") and done("cancel", "Cancelled") and done("rollback", "RollbackSuccessful")
        ),
        30,
    )

    group, refresh = _describe(asg, "cancel")
    assert group["LaunchTemplate"]["Version"] == "1", "a cancelled refresh leaves the group's configuration alone"
    assert {i["LaunchTemplate"]["Version"] for i in group["Instances"]} == {"2"}, "and keeps its replacements"
    group, refresh = _describe(asg, "rollback")
    assert {i["LaunchTemplate"]["Version"] for i in group["Instances"] if i["LifecycleState"] == "InService"} == {"1"}
    assert refresh["PercentageComplete"] == 0
    group, refresh = _describe(asg, "matching")
    assert (refresh["Status"], refresh["PercentageComplete"], refresh["InstancesToUpdate"]) == ("Successful", 100, 0)
    for name in ("cancel", "rollback", "matching"):
        with pytest.raises(asg.exceptions.ClientError, match="ActiveInstanceRefreshNotFound"):
            asg.cancel_instance_refresh(AutoScalingGroupName=name)


def test_fixed_start_refuses_what_aws_refuses(clean_emulator):
    ec2, asg = boto3.client("ec2"), boto3.client("autoscaling")
    _vpc, subnets = _network(ec2)
    lt = _template(ec2, "refusals")
    _group(asg, "pinned", lt, subnets, 1)
    _group(asg, "latest", lt, subnets, 1, version="$Latest")
    desired = {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}}
    refused = [
        ("pinned", desired, {"MinHealthyPercentage": 120}),
        ("pinned", desired, {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 250}),
        ("pinned", desired, {"MaxHealthyPercentage": 150}),
        ("pinned", desired, {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 200}),
        ("pinned", desired, {"CheckpointDelay": 60}),
        ("pinned", desired, {"CheckpointPercentages": [100, 50]}),
        ("pinned", None, {"AutoRollback": True}),
        ("latest", desired, {"AutoRollback": True}),
        ("pinned", {"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "9"}}, {}),
        ("missing", desired, {}),
    ]
    for name, config, prefs in refused:
        kwargs = {"DesiredConfiguration": config} if config else {}
        with pytest.raises(asg.exceptions.ClientError, match="ValidationError"):
            asg.start_instance_refresh(AutoScalingGroupName=name, Preferences=prefs, **kwargs)
    assert asg.describe_instance_refreshes(AutoScalingGroupName="pinned")["InstanceRefreshes"] == []
    asg.start_instance_refresh(
        AutoScalingGroupName="pinned", DesiredConfiguration=desired, Preferences={"InstanceWarmup": 300}
    )
    with pytest.raises(asg.exceptions.ClientError, match="InstanceRefreshInProgress"):
        asg.start_instance_refresh(AutoScalingGroupName="pinned", DesiredConfiguration=desired)
    asg.start_instance_refresh(AutoScalingGroupName="latest", Preferences={"InstanceWarmup": 300})
    with pytest.raises(asg.exceptions.ClientError, match="IrreversibleInstanceRefresh"):
        asg.rollback_instance_refresh(AutoScalingGroupName="latest")
    (refresh,) = asg.describe_instance_refreshes(AutoScalingGroupName="pinned")["InstanceRefreshes"]
    assert refresh["Preferences"] == {
        "MinHealthyPercentage": 90,
        "InstanceWarmup": 300,
        "SkipMatching": False,
        "AutoRollback": False,
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }, "AWS's defaults filled in"


# ---- EC2: instances launched from a template take its settings (named version, IMDS, volumes, profile)


def _profile_group(ec2, asg, iam, subnets):
    iam.create_instance_profile(InstanceProfileName="web")
    lt = ec2.create_launch_template(
        LaunchTemplateName="profiled",
        LaunchTemplateData={"ImageId": "ami-785db401", "IamInstanceProfile": {"Name": "web"}},
    )["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(
        LaunchTemplateId=lt,
        LaunchTemplateData={
            "ImageId": "ami-785db401",
            "IamInstanceProfile": {"Name": "web"},
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        },
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="profiled",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "2"},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnets[0],
    )
    (instance,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["profiled"])["AutoScalingGroups"][0][
        "Instances"
    ]
    return ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]


def test_gap_plain_moto_launches_group_instances_without_the_templates_profile():
    from moto import mock_aws

    with mock_aws():
        ec2, asg = boto3.client("ec2", region_name="us-east-1"), boto3.client("autoscaling", region_name="us-east-1")
        _vpc, subnets = _network(ec2)
        instance = _profile_group(ec2, asg, boto3.client("iam", region_name="us-east-1"), subnets)
        assert "IamInstanceProfile" not in instance
        assert instance["MetadataOptions"]["HttpTokens"] == "optional"


def test_fixed_group_instances_take_the_named_versions_profile_and_imds(clean_emulator):
    ec2, asg = boto3.client("ec2"), boto3.client("autoscaling")
    _vpc, subnets = _network(ec2)
    instance = _profile_group(ec2, asg, boto3.client("iam"), subnets)
    assert instance["IamInstanceProfile"]["Arn"] == "arn:aws:iam::123456789012:instance-profile/web"
    assert instance["MetadataOptions"]["HttpTokens"] == "required", "version 2's options, not the default version's"


# ---- EC2: interfaces created at launch are deleted with their instance


def test_gap_plain_moto_keeps_the_interfaces_of_a_deleted_auto_scaling_group():
    from moto.ec2.models import instances

    if getattr(instances.Instance.prep_nics, "_webstack_patched", False):
        import pytest

        pytest.skip("moto already patched in this process")
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        asg = boto3.client("autoscaling", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
        lt = ec2.create_launch_template(LaunchTemplateName="eni", LaunchTemplateData={"ImageId": "ami-785db401"})
        asg.create_auto_scaling_group(
            AutoScalingGroupName="eni",
            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"], "Version": "1"},
            MinSize=1,
            MaxSize=1,
            VPCZoneIdentifier=subnet,
        )
        asg.delete_auto_scaling_group(AutoScalingGroupName="eni", ForceDelete=True)
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
        assert enis["NetworkInterfaces"], "plain moto leaves the instance's primary interface behind"


def test_fixed_created_interfaces_follow_their_delete_on_termination(clean_emulator):
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.95.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.95.1.0/24")["Subnet"]["SubnetId"]

    def enis():
        return ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]

    for flag, left in ((True, 0), (None, 1)):
        spec = {"DeviceIndex": 0, "SubnetId": subnet}
        if flag is not None:
            spec["DeleteOnTermination"] = flag
        instance = ec2.run_instances(ImageId="ami-785db401", MinCount=1, MaxCount=1, NetworkInterfaces=[spec])
        ec2.terminate_instances(InstanceIds=[instance["Instances"][0]["InstanceId"]])
        assert len(enis()) == left, "AWS documents no default for a created interface: keep it unless asked"


def test_fixed_primary_interface_goes_with_its_instance(clean_emulator):
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-785db401", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])
    assert enis["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


# ---- ELBv2/EC2: a load balancer's interfaces, which outlive it, and what interfaces block


def _lb_network(ec2, cidr="10.97"):
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])
    ]
    group = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    return vpc, subnets, group


def _in_vpc(ec2, vpc):
    return ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]


def _dependency_violation(call, **kwargs):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def test_gap_plain_moto_gives_a_load_balancer_no_interfaces_and_deletes_what_interfaces_use():
    from moto.elbv2 import models

    if getattr(models.ELBv2Backend.create_load_balancer, "_webstack_patched", False):
        pytest.skip("moto already patched in this process")
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc, subnets, group = _lb_network(ec2)
        boto3.client("elbv2", region_name="us-east-1").create_load_balancer(
            Name="gap", Subnets=subnets[:2], SecurityGroups=[group]
        )
        assert _in_vpc(ec2, vpc) == [], "plain moto: a load balancer has no network interface"
        # An interface that uses the group and sits in the subnet blocks neither deletion in plain moto.
        ec2.create_network_interface(SubnetId=subnets[2], Groups=[group])
        ec2.delete_security_group(GroupId=group)
        ec2.delete_subnet(SubnetId=subnets[2])
        # Nor does a deleted NAT gateway let go of its interface.
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
        eni = nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]
        assert ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]


@pytest.fixture(scope="module")
def short_release_emulator():
    """An emulator of our own whose deleted load balancers release their interfaces after 2 s."""
    import os

    import emulator
    import emulator_patches

    saved = os.environ.get(emulator_patches.ELB_INTERFACE_RELEASE_VARIABLE)
    os.environ[emulator_patches.ELB_INTERFACE_RELEASE_VARIABLE] = "2"
    try:
        proc, endpoint = emulator.start()
    finally:
        if saved is None:
            os.environ.pop(emulator_patches.ELB_INTERFACE_RELEASE_VARIABLE)
        else:
            os.environ[emulator_patches.ELB_INTERFACE_RELEASE_VARIABLE] = saved
    yield endpoint
    emulator.stop_pid(proc.pid)


def test_fixed_load_balancer_interfaces_block_until_released(short_release_emulator):
    import time

    kwargs = {"endpoint_url": short_release_emulator, "region_name": "us-east-1"}
    kwargs.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    ec2, elb = boto3.client("ec2", **kwargs), boto3.client("elbv2", **kwargs)
    vpc, subnets, group = _lb_network(ec2)
    lb = elb.create_load_balancer(Name="web", Subnets=subnets[:2], SecurityGroups=[group], Scheme="internet-facing")
    arn = lb["LoadBalancers"][0]["LoadBalancerArn"]

    enis = _in_vpc(ec2, vpc)
    assert sorted(e["SubnetId"] for e in enis) == sorted(subnets[:2]), "one interface per subnet"
    for eni in enis:
        assert eni["Description"] == "ELB " + arn.split(":loadbalancer/")[1]
        assert (eni["RequesterId"], eni["RequesterManaged"], eni["Status"]) == ("amazon-elb", True, "in-use")
        assert eni["Attachment"]["InstanceOwnerId"] == "amazon-elb"
        assert [g["GroupId"] for g in eni["Groups"]] == [group]
        assert eni["Association"]["IpOwnerId"] == "amazon-elb"
    assert _dependency_violation(ec2.delete_network_interface, NetworkInterfaceId=enis[0]["NetworkInterfaceId"]) == (
        "InvalidNetworkInterface.InUse"
    )

    # Moving to other subnets adds an interface and releases the one left behind.
    elb.set_subnets(LoadBalancerArn=arn, Subnets=subnets[1:])
    status = {e["SubnetId"]: e["Status"] for e in _in_vpc(ec2, vpc)}
    assert status == {subnets[0]: "available", subnets[1]: "in-use", subnets[2]: "in-use"}

    elb.delete_load_balancer(LoadBalancerArn=arn)
    deleted = time.monotonic()
    assert {e["Status"] for e in _in_vpc(ec2, vpc)} == {"available"}, "they linger, detached"
    assert _dependency_violation(ec2.delete_security_group, GroupId=group) == "DependencyViolation"
    assert _dependency_violation(ec2.delete_subnet, SubnetId=subnets[1]) == "DependencyViolation"
    assert _dependency_violation(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    while _in_vpc(ec2, vpc):
        assert time.monotonic() - deleted < 10, "released after the configured lag (2 s)"
        time.sleep(0.2)
    assert time.monotonic() - deleted >= 1.5
    ec2.delete_security_group(GroupId=group)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_fixed_default_lag_holds_the_network_after_delete_load_balancer(clean_emulator):
    import emulator_patches

    assert emulator_patches.ELB_INTERFACE_RELEASE_SECONDS == 20
    ec2, elb = boto3.client("ec2"), boto3.client("elbv2")
    vpc, subnets, group = _lb_network(ec2)
    arn = elb.create_load_balancer(Name="web", Subnets=subnets[:2])["LoadBalancers"][0]["LoadBalancerArn"]
    default_group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert {g["GroupId"] for e in _in_vpc(ec2, vpc) for g in e["Groups"]} == {default_group}, (
        "without security groups, the VPC's default group"
    )
    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert len(_in_vpc(ec2, vpc)) == 2
    assert _dependency_violation(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    ec2.delete_security_group(GroupId=group)  # a group no interface uses goes at once


def test_fixed_nat_gateway_takes_its_interface_and_lets_go_of_its_address(clean_emulator):
    ec2 = boto3.client("ec2")
    vpc, subnets, _group = _lb_network(ec2, cidr="10.96")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    assert _dependency_violation(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert _in_vpc(ec2, vpc) == []
    (address,) = ec2.describe_addresses(AllocationIds=[eip])["Addresses"]
    assert not address.get("NetworkInterfaceId") and not address.get("AssociationId")
    ec2.release_address(AllocationId=eip)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


# ---- EC2: launching from a launch template version created by CreateLaunchTemplateVersion


def test_gap_plain_moto_cannot_launch_from_a_later_version_with_user_data():
    from moto.ec2.models import launch_templates

    if getattr(launch_templates.LaunchTemplateVersion.user_data.fget, "_webstack_patched", False):
        import pytest

        pytest.skip("moto already patched in this process")
    import pytest
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        asg = boto3.client("autoscaling", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.97.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.97.1.0/24")["Subnet"]["SubnetId"]
        lt = ec2.create_launch_template(LaunchTemplateName="ud", LaunchTemplateData={"ImageId": "ami-785db401"})
        lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]
        ec2.create_launch_template_version(
            LaunchTemplateId=lt_id, LaunchTemplateData={"ImageId": "ami-785db401", "UserData": "IyEvYmluL3NoCg=="}
        )
        with pytest.raises(AssertionError):
            asg.create_auto_scaling_group(
                AutoScalingGroupName="ud",
                LaunchTemplate={"LaunchTemplateId": lt_id, "Version": "2"},
                MinSize=1,
                MaxSize=1,
                VPCZoneIdentifier=subnet,
            )


def test_fixed_instances_launch_from_a_later_version_with_user_data(clean_emulator):
    ec2 = boto3.client("ec2")
    asg = boto3.client("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.97.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.97.1.0/24")["Subnet"]["SubnetId"]
    lt_id = ec2.create_launch_template(LaunchTemplateName="ud", LaunchTemplateData={"ImageId": "ami-785db401"})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    ec2.create_launch_template_version(
        LaunchTemplateId=lt_id, LaunchTemplateData={"ImageId": "ami-785db401", "UserData": "IyEvYmluL3NoCg=="}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="ud",
        LaunchTemplate={"LaunchTemplateId": lt_id, "Version": "2"},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=subnet,
    )
    (group,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["ud"])["AutoScalingGroups"]
    assert len(group["Instances"]) == 1
    data = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["2"])["LaunchTemplateVersions"]
    assert data[0]["LaunchTemplateData"]["UserData"] == "IyEvYmluL3NoCg=="
    asg.delete_auto_scaling_group(AutoScalingGroupName="ud", ForceDelete=True)


def _distribution(cloudfront, reference):
    return cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": reference,
            "Comment": reference,
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [{"Id": "s3", "DomainName": S3_DOMAIN, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]["Id"]


def _invalidate(cloudfront, distribution):
    return cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/index.html"]}, "CallerReference": "inv-1"},
    )["Invalidation"]


def test_gap_plain_moto_spells_a_finished_invalidation_its_own_way():
    from moto import mock_aws

    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        invalidation = _invalidate(cloudfront, _distribution(cloudfront, "gap-inv"))
        assert invalidation["Status"] == "COMPLETED"


def test_fixed_invalidation_completes_as_the_waiter_expects(clean_emulator):
    cloudfront = boto3.client("cloudfront")
    distribution = _distribution(cloudfront, "fixed-inv")
    invalidation = _invalidate(cloudfront, distribution)
    assert invalidation["Status"] == "Completed"
    cloudfront.get_waiter("invalidation_completed").wait(
        DistributionId=distribution, Id=invalidation["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 2}
    )


def _launch_from_template(ec2):
    template = ec2.create_launch_template(
        LaunchTemplateName="imds-and-volumes",
        LaunchTemplateData={
            "ImageId": "ami-785db401",
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "Encrypted": True}}],
        },
    )["LaunchTemplate"]
    instance = ec2.run_instances(
        MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]}
    )["Instances"][0]
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])
    return instance, volumes["Volumes"]


def test_gap_plain_moto_ignores_the_templates_imds_and_volumes():
    from moto import mock_aws

    with mock_aws():
        instance, volumes = _launch_from_template(boto3.client("ec2", region_name="us-east-1"))
        assert instance["MetadataOptions"]["HttpTokens"] == "optional"
        assert not all(v["Encrypted"] for v in volumes)


def test_fixed_instances_take_the_templates_imds_and_encrypted_root(clean_emulator):
    instance, volumes = _launch_from_template(boto3.client("ec2"))
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert volumes and all(v["Encrypted"] for v in volumes)


# ---- AWS Backup: selections (the resources a backup plan protects)

_SELECTION = {
    "SelectionName": "patch-tagged",
    "IamRoleArn": "arn:aws:iam::123456789012:role/patch-backup",
    "Resources": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"],
    "Conditions": {
        "StringEquals": [
            {"ConditionKey": "aws:ResourceTag/Project", "ConditionValue": "illustra"},
            {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "prod"},
        ]
    },
}


def _backup_plan(backup, name="patch-plan"):
    rule = {"RuleName": "daily", "TargetBackupVaultName": "patch-vault"}
    return backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [rule]})["BackupPlanId"]


def test_gap_plain_moto_has_no_backup_selections():
    from moto.backup import models

    if getattr(models.BackupBackend.delete_backup_plan, "_webstack_patched", False):
        pytest.skip("moto already patched in this process")
    from moto import mock_aws

    with mock_aws():
        backup = boto3.client("backup", region_name="us-east-1")
        plan = _backup_plan(backup)
        with pytest.raises(NotImplementedError, match="create_backup_selection"):
            backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION)
        with pytest.raises(NotImplementedError, match="list_backup_selections"):
            backup.list_backup_selections(BackupPlanId=plan)


def test_fixed_backup_selection_create_get_list_delete(clean_emulator):
    backup = boto3.client("backup")
    plan = _backup_plan(backup)
    created = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION, CreatorRequestId="req-1")
    assert created["BackupPlanId"] == plan
    assert created["SelectionId"]
    assert created["CreationDate"]

    got = backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
    assert (got["SelectionId"], got["BackupPlanId"], got["CreatorRequestId"]) == (created["SelectionId"], plan, "req-1")
    assert got["CreationDate"] == created["CreationDate"]
    # as AWS returns it: what was sent, the other lists empty, all four condition operators present
    assert got["BackupSelection"] == {
        **_SELECTION,
        "ListOfTags": [],
        "NotResources": [],
        "Conditions": {**_SELECTION["Conditions"], "StringNotEquals": [], "StringLike": [], "StringNotLike": []},
    }

    (listed,) = backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]
    assert listed == {
        "SelectionId": created["SelectionId"],
        "SelectionName": "patch-tagged",
        "BackupPlanId": plan,
        "CreationDate": created["CreationDate"],
        "CreatorRequestId": "req-1",
        "IamRoleArn": _SELECTION["IamRoleArn"],
    }

    backup.delete_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
    assert backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])


def test_fixed_backup_selection_errors_are_the_ones_aws_gives(clean_emulator):
    backup = boto3.client("backup")
    plan = _backup_plan(backup)
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.list_backup_selections(BackupPlanId="no-such-plan")
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.create_backup_selection(BackupPlanId="no-such-plan", BackupSelection=_SELECTION)
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.get_backup_selection(BackupPlanId=plan, SelectionId="no-such-selection")
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.delete_backup_selection(BackupPlanId=plan, SelectionId="no-such-selection")
    empty = {"SelectionName": "empty", "IamRoleArn": _SELECTION["IamRoleArn"]}
    refused = [
        empty,
        dict(_SELECTION, SelectionName="has spaces"),
        dict(_SELECTION, SelectionName="x" * 51),
        dict(_SELECTION, IamRoleArn="arn:aws:iam::123456789012:user/not-a-role"),
        dict(_SELECTION, ListOfTags=[{"ConditionType": "STRINGLIKE", "ConditionKey": "a", "ConditionValue": "b"}]),
    ]
    for selection in refused:
        with pytest.raises(backup.exceptions.InvalidParameterValueException):
            backup.create_backup_selection(BackupPlanId=plan, BackupSelection=selection)
    assert backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"] == []


def test_fixed_backup_selection_creator_request_id_is_idempotent(clean_emulator):
    backup = boto3.client("backup")
    plan = _backup_plan(backup)
    first = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION, CreatorRequestId="retry-1")
    again = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION, CreatorRequestId="retry-1")
    assert again["SelectionId"] == first["SelectionId"]
    assert len(backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]) == 1
    other = dict(_SELECTION, SelectionName="another")
    with pytest.raises(backup.exceptions.AlreadyExistsException):
        backup.create_backup_selection(BackupPlanId=plan, BackupSelection=other, CreatorRequestId="retry-1")


def test_fixed_backup_plan_keeps_until_its_selections_are_deleted(clean_emulator):
    backup = boto3.client("backup")
    plan = _backup_plan(backup)
    selection = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION)["SelectionId"]
    with pytest.raises(backup.exceptions.InvalidRequestException, match="selections must be deleted"):
        backup.delete_backup_plan(BackupPlanId=plan)
    assert [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]] == [plan]
    backup.delete_backup_selection(BackupPlanId=plan, SelectionId=selection)
    backup.delete_backup_plan(BackupPlanId=plan)
    assert backup.list_backup_plans()["BackupPlansList"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.list_backup_selections(BackupPlanId=plan)


def test_fixed_backup_selections_are_wiped_by_reset(clean_emulator):
    import urllib.request

    import webstack_test

    def seeded_plan():
        urllib.request.urlopen(urllib.request.Request(f"{clean_emulator}/moto-api/seed?a=7", method="POST")).close()
        return _backup_plan(backup)

    backup = boto3.client("backup")
    plan = seeded_plan()
    backup.create_backup_selection(BackupPlanId=plan, BackupSelection=_SELECTION)
    webstack_test.reset_emulator(clean_emulator)
    assert seeded_plan() == plan, "the same seed gives the same plan id, so stale selections would show"
    assert backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"] == []


def test_gap_plain_moto_distribution_ids_start_with_any_letter(monkeypatch):
    from moto.cloudfront import models

    ids = {models.random_id()[0] for _ in range(200)}
    assert ids - {"E"}  # AWS's ids always start with E


def test_fixed_cloudfront_distribution_ids_have_aws_s_form(clean_emulator):
    import re

    cloudfront = boto3.client("cloudfront")
    dist = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "id-form",
            "Comment": "id form",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [{"Id": "s3", "DomainName": S3_DOMAIN, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )["Distribution"]
    assert re.fullmatch(r"E[A-Z0-9]{13}", dist["Id"]), dist["Id"]
    assert dist["ARN"].endswith(f":distribution/{dist['Id']}")
    assert cloudfront.get_distribution(Id=dist["Id"])["Distribution"]["Id"] == dist["Id"]


# ---- AWS Backup: plan updates (a new version of the same plan)


def test_gap_plain_moto_cannot_update_a_backup_plan():
    from moto import mock_aws
    from moto.backup import responses

    if hasattr(responses.BackupResponse, "update_backup_plan"):
        pytest.skip("moto already patched in this process")
    with mock_aws():
        backup = boto3.client("backup", region_name="us-east-1")
        plan = _backup_plan(backup)
        rule = {"RuleName": "daily", "TargetBackupVaultName": "patch-vault", "Lifecycle": {"DeleteAfterDays": 14}}
        with pytest.raises(NotImplementedError, match="update_backup_plan"):
            backup.update_backup_plan(BackupPlanId=plan, BackupPlan={"BackupPlanName": "patch-plan", "Rules": [rule]})


def test_fixed_backup_plan_update_is_a_new_version_of_the_same_plan(clean_emulator):
    backup = boto3.client("backup")
    plan = _backup_plan(backup)
    before = backup.get_backup_plan(BackupPlanId=plan)
    rule = {"RuleName": "daily", "TargetBackupVaultName": "patch-vault", "Lifecycle": {"DeleteAfterDays": 14}}
    updated = backup.update_backup_plan(BackupPlanId=plan, BackupPlan={"BackupPlanName": "patch-plan", "Rules": [rule]})
    assert updated["BackupPlanId"] == plan and updated["BackupPlanArn"] == before["BackupPlanArn"]
    assert updated["VersionId"] != before["VersionId"]
    after = backup.get_backup_plan(BackupPlanId=plan)
    (stored,) = after["BackupPlan"]["Rules"]
    assert stored["Lifecycle"] == {"DeleteAfterDays": 14}
    # AWS's defaults for what the rule leaves out, as on creation.
    assert (stored["StartWindowMinutes"], stored["CompletionWindowMinutes"]) == (480, 10080)
    assert after["VersionId"] == updated["VersionId"]
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.update_backup_plan(BackupPlanId="no-such-plan", BackupPlan={"BackupPlanName": "x", "Rules": [rule]})
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.update_backup_plan(BackupPlanId=plan, BackupPlan={"BackupPlanName": "patch-plan", "Rules": []})


def test_every_patch_states_its_verdict_against_the_rule():
    """The rule (tools/emulator_patches.py's docstring): a patch fills a gap and never accepts what AWS refuses;
    each registered patch says which in a "Verdict:" of its own docstring."""
    import emulator_patches

    silent = [patch.__name__ for patch in emulator_patches.PATCHES if "Verdict:" not in (patch.__doc__ or "")]
    assert not silent, f"patches without a verdict in their docstring: {silent}"
