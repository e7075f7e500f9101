"""Each emulator patch: the gap in plain moto, and the emulator answering as AWS does.

The "gap" tests use moto's models in this process (unpatched); the "fixed" tests go through the
harness's emulator (patched), the way every playbook reaches it.
"""

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
    name = "/aws/service/debian/release/12/latest/amd64"
    ami = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    assert boto3.client("ec2").describe_images(ImageIds=[ami])["Images"]


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


# ---- Auto Scaling: instance refresh, and the launch template version of each instance


def test_gap_plain_moto_has_no_instance_refresh():
    from moto.autoscaling import responses

    if getattr(responses.AutoScalingResponse, "_webstack_refresh_patched", False):
        import pytest

        pytest.skip("moto already patched in this process")
    assert not hasattr(responses.AutoScalingResponse, "start_instance_refresh")
    assert not hasattr(responses.AutoScalingResponse, "describe_instance_refreshes")


def test_fixed_instance_refresh_applies_the_desired_version_and_replaces_instances(clean_emulator):
    import pytest
    from botocore.exceptions import ClientError

    ec2 = boto3.client("ec2")
    asg = boto3.client("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    lt = ec2.create_launch_template(LaunchTemplateName="refresh", LaunchTemplateData={"ImageId": "ami-785db401"})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=lt, LaunchTemplateData={"ImageId": "ami-1e749f67"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="refresh",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "1"},
        MinSize=2,
        MaxSize=2,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnet,
    )
    before = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["refresh"])["AutoScalingGroups"][0]
    assert {i["LaunchTemplate"]["Version"] for i in before["Instances"]} == {"1"}

    refresh_id = asg.start_instance_refresh(
        AutoScalingGroupName="refresh",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "AutoRollback": True, "SkipMatching": True},
    )["InstanceRefreshId"]
    (refresh,) = asg.describe_instance_refreshes(AutoScalingGroupName="refresh")["InstanceRefreshes"]
    assert (refresh["InstanceRefreshId"], refresh["Status"]) == (refresh_id, "Successful")
    assert refresh["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"

    after = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["refresh"])["AutoScalingGroups"][0]
    assert after["LaunchTemplate"]["Version"] == "2"
    assert {i["LaunchTemplate"]["Version"] for i in after["Instances"]} == {"2"}
    assert len(after["Instances"]) == 2
    assert not {i["InstanceId"] for i in after["Instances"]} & {i["InstanceId"] for i in before["Instances"]}

    with pytest.raises(ClientError, match="ActiveInstanceRefreshNotFound"):
        asg.rollback_instance_refresh(AutoScalingGroupName="refresh")


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
    with pytest.raises(backup.exceptions.InvalidParameterValueException):
        backup.create_backup_selection(BackupPlanId=plan, BackupSelection=empty)
    assert backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"] == []


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
