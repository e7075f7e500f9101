"""The backend stage (artifacts, alb, asg) end to end on the emulator, for every environment.

For each environment: --check on the empty account creates nothing; converge site.yml (preflight +
network + backend) and assert the emulator's state (listeners, redirect, target group, launch
template with IMDSv2/encryption/user data/instance profile, ASG settings and scaling policy, artifact
bucket); the ASG's registered targets survive a re-run; converge again (changed == 0); --check on the
converged stack (changed == 0); tear down and prove nothing tagged as ours is left.

Staging also releases through the emulator's instance refresh model (tools/emulator_refresh.py): a
good release rolls out in batches on target health and is validated over HTTP; a broken release (its
instances never pass health) fails the refresh, which rolls back automatically; a release that fails
validation is rolled back by a second refresh.

Durations are AWS-valid and small (health checks every 5 s, 2 to pass, 2 s warmup, 1 s polling) so that
a refresh takes seconds. Not exercised here: the instances' boot (moto runs no user data; the
nginx_backend role has its own Molecule scenario) and the app answering through the load balancer
(the data plane's tests): validation here talks to a loopback stand-in for the ALB.
"""

import base64
import http.server
import json
import math
import threading
import time
import urllib.request

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


# AWS-valid small durations: a target passes 2 checks 5 s apart, a replacement warms up 2 s, a
# deregistered target drains 3 s, the release polls every second.
FAST = {
    "alb_health_check_interval": 5,
    "alb_health_check_timeout": 4,
    "alb_healthy_threshold": 2,
    "alb_unhealthy_threshold": 2,
    "alb_deregistration_delay": 3,
    "asg_health_check_grace_period": 5,
    "asg_instance_warmup": 2,
    "asg_refresh_poll_interval": 1,
}


def env_vars(env, cert=None):
    extra = {"webstack_confirm": env, **FAST}
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
    # prod keeps access logs: the network,backend levels create the log bucket the ALB delivers into.
    - name: Remove the access log bucket and its logs
      ansible.builtin.include_role:
        name: illustra.webstack.logs
      vars:
        logs_state: absent
        logs_force_delete: true

    - name: Remove the network
      ansible.builtin.include_role:
        name: illustra.webstack.vpc
      vars:
        vpc_state: absent
"""


def teardown(env, tmp_path):
    """The backend's own teardown, then the log bucket (prod) and the network: all this test created."""
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
    # The instances the group launched carry that profile (issue 17's scanner finding).
    launched = ec2.describe_instances(InstanceIds=[i["InstanceId"] for i in group["Instances"]])["Reservations"]
    profiles = {i.get("IamInstanceProfile", {}).get("Arn", "") for r in launched for i in r["Instances"]}
    assert profiles == {f"arn:aws:iam::123456789012:instance-profile/{name}"}, profiles
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
    """The target group's targets that are not on their way out (draining)."""
    if not tg_arn:
        return set()
    health = boto3.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {t["Target"]["Id"] for t in health if t["TargetHealth"]["State"] != "draining"}


def target_states(tg_arn):
    health = boto3.client("elbv2").describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {t["Target"]["Id"]: t["TargetHealth"]["State"] for t in health}


def group_state(env):
    """The group's launch template version and its serving instances (not terminating) by version."""
    asg = boto3.client("autoscaling")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"illustra-{env}-backend"])["AutoScalingGroups"][0]
    return group["LaunchTemplate"]["Version"], {
        i["InstanceId"]: i["LaunchTemplate"]["Version"]
        for i in group["Instances"]
        if not i["LifecycleState"].startswith("Terminating")
    }


def last_good(env):
    value = boto3.client("ssm").get_parameter(Name=f"/illustra/{env}/backend/last-good-release")["Parameter"]["Value"]
    return json.loads(value)


def deploy(env, extra, **more):
    release = {
        "backend_release_upload_collection": False,
        "backend_release_build_dir": "/tmp/webstack-test-releases",
        "backend_release_validate_retries": 3,
    }
    release.update(extra, **more)
    return wt.run_playbook("playbooks/deploy_backend.yml", f"inventories/{env}", extra_vars=release)


def hook(endpoint, path, body):
    """The emulator's harness hooks (tools/emulator_refresh.py), not AWS APIs."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/webstack/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class RefreshWatch:
    """Samples the group, its target health and its instance refreshes while a playbook runs (bounded)."""

    def __init__(self, group_name, tg_arn, period=0.25, limit=600):
        self.group_name, self.tg_arn, self.period, self.limit = group_name, tg_arn, period, limit
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self):
        asg, elb = boto3.client("autoscaling"), boto3.client("elbv2")
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            # The group first, then target health: a replacement only retires an old instance once it is
            # healthy itself, so this order never under-counts the healthy capacity.
            group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group_name])["AutoScalingGroups"][0]
            health = {
                t["Target"]["Id"]: t["TargetHealth"]["State"]
                for t in elb.describe_target_health(TargetGroupArn=self.tg_arn)["TargetHealthDescriptions"]
            }
            found = asg.describe_instance_refreshes(AutoScalingGroupName=self.group_name, MaxRecords=1)
            refresh = (found["InstanceRefreshes"] or [{}])[0]
            self.samples.append(
                {
                    "refresh": refresh.get("InstanceRefreshId"),
                    "status": refresh.get("Status"),
                    "desired": group["DesiredCapacity"],
                    "instances": {
                        i["InstanceId"]: (i["LaunchTemplate"]["Version"], i["LifecycleState"], i["HealthStatus"])
                        for i in group["Instances"]
                    },
                    "health": health,
                }
            )
            self._stop.wait(self.period)

    def statuses(self, refresh_id):
        seen = []
        for sample in self.samples:
            if sample["refresh"] == refresh_id and (not seen or seen[-1] != sample["status"]):
                seen.append(sample["status"])
        return seen

    def during(self, refresh_id, statuses):
        return [s for s in self.samples if s["refresh"] == refresh_id and s["status"] in statuses]

    @staticmethod
    def healthy_in_service(sample):
        return sorted(
            i
            for i, (_v, state, _h) in sample["instances"].items()
            if state == "InService" and sample["health"].get(i) == "healthy"
        )


class AlbStandIn:
    """A loopback stand-in for the staging ALB's rule: 200 with the origin-verify secret, 403 without."""

    def __init__(self, header, secret):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ok = self.headers.get(header) == secret
                outer.requests.append((self.path, ok))
                body = json.dumps({"status": "ok"} if ok else {"message": "Forbidden"}).encode()
                self.send_response(200 if ok else 403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/health"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


REFRESH_TASK = "Roll the instances onto the changed launch template with an instance refresh"
ROLLBACK_TASK = "Return the group to the last known good launch template version"


def role_task(run, name):
    """The result of the last task with this name, role tasks included (the callback prefixes the role)."""
    for task in reversed(run.tasks):
        if (task["name"] == name or task["name"].endswith(f" : {name}")) and "localhost" in task["hosts"]:
            return task["hosts"]["localhost"]
    raise KeyError(f"no task named {name!r} ran: {[t['name'] for t in run.tasks]}")


def release_and_rollback(env, extra, tg_arn, endpoint):
    """deploy_backend.yml on staging through the modelled instance refresh.

    1.0.0 rolls out in batches that keep the minimum healthy percentage and is validated over HTTP
    (against a loopback stand-in for the ALB: the emulator's ALB serves no traffic); 2.0.0's instances
    never pass health, so its refresh fails and rolls back by itself; 3.0.0 refreshes fine but fails
    validation, so the role rolls the group back with a second refresh. The last good release stays 1.0.0.
    """
    name = f"illustra-{env}-backend"
    min_healthy = math.ceil(EXPECTED[env][3] * extra.get("asg_refresh_min_healthy_percentage", 100) / 100)
    version0, instances0 = group_state(env)
    secret = boto3.client("ssm").get_parameter(Name=f"/illustra/{env}/alb/origin-verify-secret", WithDecryption=True)
    with AlbStandIn("X-Origin-Verify", secret["Parameter"]["Value"]) as alb, RefreshWatch(name, tg_arn) as watch:
        first = deploy(env, extra, backend_release_id="1.0.0", backend_release_validate_url=alb.url)
    assert first.rc == 0, first.summary()
    version1, instances1 = group_state(env)
    assert int(version1) == int(version0) + 1
    refresh = role_task(first, REFRESH_TASK)["instance_refresh"]
    assert refresh["status"] == "Successful"
    assert "InProgress" in [s["status"] for s in refresh["statuses"]], "the module reports the statuses it polled"
    assert watch.statuses(refresh["instance_refresh_id"])[-3:] in (
        ["Pending", "InProgress", "Successful"],
        ["InProgress", "Successful"],
    ), watch.statuses(refresh["instance_refresh_id"])
    rolling = watch.during(refresh["instance_refresh_id"], ("InProgress",))
    assert rolling, "the watch saw the refresh in progress"
    assert min(len(RefreshWatch.healthy_in_service(s)) for s in rolling) >= min_healthy, "minimum healthy kept"
    assert max(len(s["instances"]) for s in rolling) > len(instances0), "launched before terminating (max 200 %)"
    assert not set(instances1) & set(instances0), "every instance was replaced"
    assert set(instances1.values()) == {version1}
    assert registered_targets(tg_arn) == set(instances1), "only the new release's instances serve"
    assert {target_states(tg_arn)[i] for i in instances1} == {"healthy"}
    assert {target_states(tg_arn).get(i, "gone") for i in instances0} <= {"draining", "gone"}
    assert alb.requests and all(ok for _path, ok in alb.requests), "validation sent the origin-verify header"
    assert last_good(env) == {
        "release_id": "1.0.0",
        "artifact_key": "releases/1.0.0.tar.gz",
        "launch_template_version": int(version1),
    }
    ec2 = boto3.client("ec2")
    data = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=[version1])
    user_data = base64.b64decode(data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "RELEASE_ID=1.0.0" in user_data and "ARTIFACT_KEY=releases/1.0.0.tar.gz" in user_data
    bucket = next(
        b["Name"]
        for b in boto3.client("s3").list_buckets()["Buckets"]
        if b["Name"].startswith(f"illustra-{env}-artifacts-")
    )
    assert boto3.client("s3").head_object(Bucket=bucket, Key="releases/1.0.0.tar.gz")["ServerSideEncryption"]

    with AlbStandIn("X-Origin-Verify", secret["Parameter"]["Value"]) as alb:
        again = deploy(env, extra, backend_release_id="1.0.0", backend_release_validate_url=alb.url)
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.changed_tasks()

    # The infrastructure run keeps the released version (it reads the last good release from SSM).
    infra = site(env, extra)
    assert infra.rc == 0 and infra.changed == 0, infra.changed_tasks() or infra.summary()

    # 2.0.0 is broken: instances launched from its launch template version never pass their health checks.
    # AWS retries for an hour before it gives up; the harness shortens that wait (it only fails sooner).
    version2 = str(int(version1) + 1)
    hook(endpoint, "target-health", {"TargetGroupArn": tg_arn, "LaunchTemplateVersion": version2, "State": "unhealthy"})
    hook(endpoint, "instance-refresh", {"HealthTimeoutSeconds": 20})
    with AlbStandIn("X-Origin-Verify", secret["Parameter"]["Value"]) as alb, RefreshWatch(name, tg_arn) as watch:
        bad = deploy(env, extra, backend_release_id="2.0.0", backend_release_validate_url=alb.url)
    assert bad.rc != 0, "a release whose instances never pass health must fail the run"
    messages = " ".join(bad.failure_messages())
    assert "Release 2.0.0 failed" in messages and "RollbackSuccessful" in messages, messages
    assert "back on its previous launch template version" in messages, messages
    failed = role_task(bad, REFRESH_TASK)["instance_refresh"]
    assert failed["rollback_reason"].startswith("Automatic rollback"), failed
    seen = watch.statuses(failed["instance_refresh_id"])
    assert seen[-2:] == ["RollbackInProgress", "RollbackSuccessful"] and "InProgress" in seen, seen
    broken = {i for s in watch.samples for i, (v, _state, _h) in s["instances"].items() if v == version2}
    assert broken, "the refresh launched the broken release"
    assert not any(s["health"].get(i) == "healthy" for s in watch.samples for i in broken), "it never passed health"
    assert any(s["instances"][i][2] == "Unhealthy" for s in watch.samples for i in broken if i in s["instances"]), (
        "Auto Scaling replaced a broken instance that failed its health checks"
    )
    assert min(len(RefreshWatch.healthy_in_service(s)) for s in watch.samples) >= min_healthy, "1.0.0 kept serving"
    assert not alb.requests, "the broken release never reached validation"
    version_after, instances_after = group_state(env)
    assert version_after == version1, "the group is still on the last good launch template version"
    assert instances_after == instances1, "the 1.0.0 instances served throughout and still do"
    assert registered_targets(tg_arn) == set(instances1)
    assert last_good(env)["release_id"] == "1.0.0"

    # 3.0.0 rolls out but fails validation: the role rolls the group back with a refresh to 1.0.0's version.
    bad = deploy(
        env,
        extra,
        backend_release_id="3.0.0",
        backend_release_validate_url="http://127.0.0.1:9/api/health",
        backend_release_validate_retries=1,
    )
    assert bad.rc != 0, "a release that fails validation must fail the run"
    assert any("Release 3.0.0 failed" in m for m in bad.failure_messages()), bad.failure_messages()
    rolled = role_task(bad, ROLLBACK_TASK)
    assert rolled["actions"] == [f"start instance refresh to version {version1}"], rolled
    assert rolled["instance_refresh"]["status"] == "Successful"
    version_after, instances_after = group_state(env)
    assert version_after == version1, "the group is back on the last known good version"
    assert set(instances_after.values()) == {version1}
    assert registered_targets(tg_arn) == set(instances_after)
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
            release_and_rollback(env, extra, tg_arn, clean_emulator)
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
