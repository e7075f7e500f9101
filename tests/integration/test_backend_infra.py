"""The backend stage (artifacts, alb, asg) end to end on the emulator, for every environment.

For each environment: --check on the empty account creates nothing; converge site.yml (preflight +
network + backend) and assert the emulator's state (listeners, redirect, target group, launch
template with IMDSv2/encryption/user data, ASG settings and scaling policy, artifact bucket); the
ASG's registered targets survive a re-run; converge again (changed == 0); --check on the converged
stack (changed == 0); tear down and prove nothing tagged as ours is left.

Not exercised here: instance refresh (moto answers 500 to its APIs; see tests/unit/autoscaling_release)
and the instances' boot (moto runs no user data; the nginx_backend role has its own Molecule scenario).
"""

import base64

import boto3
import pytest
import webstack_test as wt

# The AMI comes from the SSM public parameter for Debian 12 (served by the emulator patch).
DEBIAN = "/aws/service/debian/release/12/latest/amd64"
EXPECTED = {
    # env: (instance type, min, max, desired, cpu target or None, ALB https, deletion protection)
    "dev": ("t3.micro", 1, 1, 1, None, None, None),
    "staging": ("t3.small", 1, 2, 1, 60.0, False, False),
    "prod": ("t3.medium", 2, 4, 2, 50.0, True, True),
}
TAGS = "network,backend"


def env_vars(env, cert=None):
    extra = {"webstack_confirm": env}
    if cert:
        extra["alb_certificate_arn"] = cert
    return extra


def site(env, extra, **kwargs):
    return wt.run_playbook("playbooks/site.yml", f"inventories/{env}", extra_vars=extra, tags=TAGS, **kwargs)


NETWORK_TEARDOWN = """
- name: Remove the network
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove the network
      ansible.builtin.include_role:
        name: illustra.webstack.vpc
      vars:
        vpc_state: absent
"""


def teardown(env, tmp_path):
    """The backend's own teardown, then the network (only the vpc role: this test created nothing else)."""
    extra = {"teardown_confirm": "DESTROY-PROD"}
    backend = wt.run_playbook("playbooks/teardown_backend.yml", f"inventories/{env}", extra_vars=extra)
    playbook = tmp_path / "teardown_network.yml"
    playbook.write_text(NETWORK_TEARDOWN)
    network = wt.run_playbook(str(playbook), f"inventories/{env}", extra_vars=extra)
    return backend, network


def assert_alb(env):
    _type, _mn, _mx, _desired, _cpu, https, protection = EXPECTED[env]
    elb = boto3.client("elbv2")
    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"illustra-{env}"]
    if https is None:
        assert lbs == [], "dev (single mode) has no load balancer"
        return None
    (lb,) = lbs
    assert lb["Scheme"] == "internet-facing"
    ec2 = boto3.client("ec2")
    public = ec2.describe_subnets(
        Filters=[{"Name": "tag:Tier", "Values": ["public"]}, {"Name": "vpc-id", "Values": [lb["VpcId"]]}]
    )
    assert {az["SubnetId"] for az in lb["AvailabilityZones"]} == {s["SubnetId"] for s in public["Subnets"]}
    groups = ec2.describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
    assert [g["GroupName"] for g in groups] == [f"illustra-{env}-alb"]
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["deletion_protection.enabled"] == ("true" if protection else "false")

    (tg,) = elb.describe_target_groups(Names=[f"illustra-{env}-web"])["TargetGroups"]
    assert (tg["Protocol"], tg["Port"], tg["HealthCheckPath"]) == ("HTTP", 80, "/api/products")
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    if https:
        assert sorted(listeners) == [80, 443]
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert listeners[443]["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
        redirect = listeners[80]["DefaultActions"][0]
        assert redirect["Type"] == "redirect"
        assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
        assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    else:
        # No certificate (staging): HTTP only, 403 unless CloudFront's secret origin header is present.
        assert sorted(listeners) == [80]
        default = listeners[80]["DefaultActions"][0]
        assert default["Type"] == "fixed-response" and default["FixedResponseConfig"]["StatusCode"] == "403"
        rules = [r for r in elb.describe_rules(ListenerArn=listeners[80]["ListenerArn"])["Rules"] if not r["IsDefault"]]
        assert len(rules) == 1
        header = rules[0]["Conditions"][0]["HttpHeaderConfig"]
        secret = boto3.client("ssm").get_parameter(
            Name=f"/illustra/{env}/alb/origin-verify-secret", WithDecryption=True
        )
        assert secret["Parameter"]["Type"] == "SecureString"
        assert header == {"HttpHeaderName": "X-Origin-Verify", "Values": [secret["Parameter"]["Value"]]}
        assert rules[0]["Actions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    return tg["TargetGroupArn"]


def assert_compute(env, tg_arn):
    itype, mn, mx, desired, cpu, https, _protection = EXPECTED[env]
    name = f"illustra-{env}-backend"
    ec2 = boto3.client("ec2")
    asg = boto3.client("autoscaling")
    (group,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (mn, mx, desired)
    tier = "public" if https is None else "private"
    subnets = ec2.describe_subnets(SubnetIds=group["VPCZoneIdentifier"].split(","))["Subnets"]
    assert {({t["Key"]: t["Value"] for t in s["Tags"]})["Tier"] for s in subnets} == {tier}
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    if https is None:
        assert group["HealthCheckType"] == "EC2" and group["TargetGroupARNs"] == []
    else:
        assert group["HealthCheckType"] == "ELB" and group["TargetGroupARNs"] == [tg_arn]
    assert {t["Key"]: t["Value"] for t in group["Tags"]}["ManagedBy"] == "illustra.webstack"
    assert all(t["PropagateAtLaunch"] for t in group["Tags"])

    lt_spec = group["LaunchTemplate"]
    (version,) = ec2.describe_launch_template_versions(
        LaunchTemplateId=lt_spec["LaunchTemplateId"], Versions=[lt_spec["Version"]]
    )["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    assert data["InstanceType"] == itype
    assert data["ImageId"] == boto3.client("ssm").get_parameter(Name=DEBIAN)["Parameter"]["Value"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert "KeyName" not in data
    assert data["IamInstanceProfile"]["Name"] == name
    user_data = base64.b64decode(data["UserData"]).decode()
    assert user_data.startswith("#!/usr/bin/env bash\n")
    assert "illustra.webstack.nginx_backend" in user_data
    assert '"nginx_backend_app_port": 8001' in user_data or '"nginx_backend_app_port": "8001"' in user_data
    assert f"/illustra/{env}/mongodb/uri" in user_data
    assert f"illustra-{env}-artifacts-" in user_data
    if https is None:
        assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is True
    else:
        assert "NetworkInterfaces" not in data or not data["NetworkInterfaces"]

    policies = asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]
    if cpu is None:
        assert policies == []
    else:
        (policy,) = policies
        assert policy["PolicyType"] == "TargetTrackingScaling"
        assert policy["TargetTrackingConfiguration"]["TargetValue"] == cpu

    iam = boto3.client("iam")
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    assert attached == {"AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"}
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read-own-config-and-artifacts"]
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [name]

    s3 = boto3.client("s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"illustra-{env}-artifacts-")]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert "aws:SecureTransport" in s3.get_bucket_policy(Bucket=bucket)["Policy"]


def registered_targets(tg_arn):
    if not tg_arn:
        return set()
    health = boto3.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {t["Target"]["Id"] for t in health}


def group_state(env):
    asg = boto3.client("autoscaling")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"illustra-{env}-backend"])["AutoScalingGroups"][0]
    return group["LaunchTemplate"]["Version"], {
        i["InstanceId"]: i["LaunchTemplate"]["Version"] for i in group["Instances"]
    }


def last_good(env):
    import json

    value = boto3.client("ssm").get_parameter(Name=f"/illustra/{env}/backend/last-good-release")["Parameter"]["Value"]
    return json.loads(value)


def deploy(env, extra, **more):
    release = {
        "backend_release_upload_collection": False,
        "backend_release_build_dir": "/tmp/webstack-test-releases",
        # The emulator's ALB has no reachable DNS name: validate against a loopback URL instead.
        "backend_release_validate_url": "",
        "backend_release_validate": False,
    }
    release.update(extra, **more)
    return wt.run_playbook("playbooks/deploy_backend.yml", f"inventories/{env}", extra_vars=release)


def release_and_rollback(env, extra, tg_arn):
    """deploy_backend.yml: release 1.0.0 (recorded as last good), then 2.0.0 fails validation and rolls back.

    The emulator's instance refresh completes at once (tools/emulator_patches.py); refresh progress,
    failure and automatic rollback are covered by tests/unit/autoscaling_release.
    """
    version0, _ = group_state(env)
    first = deploy(env, extra, backend_release_id="1.0.0")
    assert first.rc == 0, first.summary()
    version1, instances1 = group_state(env)
    assert int(version1) == int(version0) + 1
    assert set(instances1.values()) == {version1}, "the instance refresh replaced every instance"
    assert registered_targets(tg_arn) == set(instances1), "replaced instances are the registered targets"
    assert last_good(env) == {
        "release_id": "1.0.0",
        "artifact_key": "releases/1.0.0.tar.gz",
        "launch_template_version": int(version1),
    }
    ec2 = boto3.client("ec2")
    data = ec2.describe_launch_template_versions(LaunchTemplateName=f"illustra-{env}-backend", Versions=[version1])
    user_data = base64.b64decode(data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "RELEASE_ID=1.0.0" in user_data and "ARTIFACT_KEY=releases/1.0.0.tar.gz" in user_data
    bucket = next(
        b["Name"]
        for b in boto3.client("s3").list_buckets()["Buckets"]
        if b["Name"].startswith(f"illustra-{env}-artifacts-")
    )
    assert boto3.client("s3").head_object(Bucket=bucket, Key="releases/1.0.0.tar.gz")["ServerSideEncryption"]

    again = deploy(env, extra, backend_release_id="1.0.0")
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.changed_tasks()

    # The infrastructure run keeps the released version (it reads the last good release from SSM).
    infra = site(env, extra)
    assert infra.rc == 0 and infra.changed == 0, infra.changed_tasks() or infra.summary()

    bad = deploy(
        env,
        extra,
        backend_release_id="2.0.0",
        backend_release_validate=True,
        backend_release_validate_url="http://127.0.0.1:9/api/health",
        backend_release_validate_retries=1,
    )
    assert bad.rc != 0, "a release that fails validation must fail the run"
    assert any("Release 2.0.0 failed" in m for m in bad.failure_messages()), bad.failure_messages()
    version_after, instances_after = group_state(env)
    assert version_after == version1, "the group is back on the last known good version"
    assert set(instances_after.values()) == {version1}
    assert last_good(env)["release_id"] == "1.0.0"

    rollback = deploy(env, extra, backend_release_action="rollback")
    assert rollback.rc == 0, rollback.summary()
    assert rollback.changed == 0, "already on the last known good release"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_backend_lifecycle(clean_emulator, env, tmp_path):
    cert = None
    if env == "prod":
        acm = boto3.client("acm")
        cert = acm.request_certificate(
            DomainName="api.illustra-demo.example.com",
            ValidationMethod="DNS",
            Tags=[{"Key": "Purpose", "Value": "test"}],
        )["CertificateArn"]
    extra = env_vars(env, cert)
    try:
        empty = site(env, extra, check=True)
        assert empty.rc == 0, empty.summary()
        assert empty.changed > 0
        assert wt.tagged_resources(environment=env) == [], "check mode on an empty account must create nothing"

        first = site(env, extra)
        assert first.rc == 0, first.summary()
        tg_arn = assert_alb(env)
        assert_compute(env, tg_arn)
        targets = registered_targets(tg_arn)
        if tg_arn:
            instances = {
                i["InstanceId"]
                for i in boto3.client("autoscaling").describe_auto_scaling_groups(
                    AutoScalingGroupNames=[f"illustra-{env}-backend"]
                )["AutoScalingGroups"][0]["Instances"]
            }
            assert targets == instances and targets, "the ASG registers its instances in the target group"

        second = site(env, extra)
        assert second.rc == 0, second.summary()
        assert second.changed == 0, second.changed_tasks()
        assert registered_targets(tg_arn) == targets, "a re-run must not deregister the ASG's targets"

        check = site(env, extra, check=True, diff=True)
        assert check.rc == 0, check.summary()
        assert check.changed == 0, check.changed_tasks()

        if env == "staging":
            release_and_rollback(env, extra, tg_arn)
    finally:
        backend, network = teardown(env, tmp_path)
        if cert:
            boto3.client("acm").delete_certificate(CertificateArn=cert)
    assert backend.rc == 0, backend.summary()
    assert network.rc == 0, network.summary()
    assert wt.tagged_resources(environment=env) == []
    iam = boto3.client("iam")
    assert f"illustra-{env}-backend" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not [
        b for b in boto3.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(f"illustra-{env}-artifacts-")
    ]
