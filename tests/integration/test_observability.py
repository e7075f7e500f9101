"""Observability, cost control and validation against the emulator (and real local HTTP servers).

The cloudwatch role converges on the emulator (alarms with their thresholds, SNS topic and e-mail
subscriptions, log retention, dashboard, budget with 80/100/120% ACTUAL + 100% FORECASTED), is
idempotent, changes nothing under --check (also on an empty account), follows changes (budget limit
and subscribers), and tears down to nothing. stack_audit finds insecure resources; validate.yml passes
a good deploy and fails a broken one (missing header, wrong status, over budget in strict mode),
running the rollback hook, and reaches staging's API through an ALB that requires the origin-verify header.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import boto3
import pytest
from webstack_test import run_playbook, tagged_resources

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_health_check import nginx, tls_cert  # noqa: F401 (fixtures: real local nginx with TLS)

pytestmark = pytest.mark.integration

ASG = "illustra-prod-app"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/illustra-prod/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/illustra-prod-app/73e2d6bc24d8a067"
OUTPUTS = {"asg__output": {"name": ASG}, "alb__output": {"load_balancer_arn": ALB_ARN, "target_group_arn": TG_ARN}}

ROLE_PLAY = [
    {
        "name": "Converge the environment's monitoring",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Run the cloudwatch role",
                "ansible.builtin.include_role": {"name": "illustra.webstack.cloudwatch"},
            }
        ],
    }
]


def _play(tmp_path: Path, name: str, play: list) -> str:
    path = tmp_path / f"{name}.yml"
    path.write_text(json.dumps(play))
    return str(path)


def _account() -> str:
    return boto3.client("sts").get_caller_identity()["Account"]


def _budget_notifications(name: str) -> dict:
    budgets = boto3.client("budgets", region_name="us-east-1")
    out = {}
    for n in budgets.describe_notifications_for_budget(AccountId=_account(), BudgetName=name)["Notifications"]:
        subs = budgets.describe_subscribers_for_notification(AccountId=_account(), BudgetName=name, Notification=n)
        out[(n["NotificationType"], n["Threshold"])] = sorted(
            (s["SubscriptionType"], s["Address"]) for s in subs["Subscribers"]
        )
    return out


def test_cloudwatch_role_converges_idempotent_check_and_teardown(clean_emulator, tmp_path):
    play = _play(tmp_path, "cw", ROLE_PLAY)

    # --check on an empty account: reports what it would do, creates nothing.
    run = run_playbook(play, "inventories/prod", extra_vars=OUTPUTS, check=True)
    assert run.rc == 0, run.summary()
    assert tagged_resources("illustra", "prod") == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []

    # Another role's alarm in the environment (the backup role's) is not the cloudwatch role's to purge.
    cw = boto3.client("cloudwatch")
    backup_alarm = "illustra-prod-backup-no-successful-dump"
    cw.put_metric_alarm(
        AlarmName=backup_alarm,
        **dict(Namespace="Illustra/Backup", MetricName="BackupSuccess", Statistic="Sum", Period=86400),
        **dict(EvaluationPeriods=1, Threshold=1, ComparisonOperator="LessThanThreshold"),
    )

    run = run_playbook(play, "inventories/prod", extra_vars=OUTPUTS)
    assert run.rc == 0, run.summary()
    assert run.changed > 0
    assert cw.describe_alarms(AlarmNames=[backup_alarm])["MetricAlarms"], "the cloudwatch role purged the backup alarm"

    alarms = {
        a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix="illustra-prod-monitoring-")["MetricAlarms"]
    }
    assert sorted(alarms) == [
        "illustra-prod-monitoring-alb-elb-5xx",
        "illustra-prod-monitoring-alb-target-5xx",
        "illustra-prod-monitoring-alb-target-response-time",
        "illustra-prod-monitoring-alb-unhealthy-targets",
        "illustra-prod-monitoring-asg-cpu-high",
        "illustra-prod-monitoring-asg-status-check-failed",
        "illustra-prod-monitoring-estimated-charges",
    ]
    topic_arn = f"arn:aws:sns:us-east-1:{_account()}:illustra-prod-alerts"
    cpu = alarms["illustra-prod-monitoring-asg-cpu-high"]
    assert (cpu["Threshold"], cpu["ComparisonOperator"], cpu["EvaluationPeriods"]) == (80.0, "GreaterThanThreshold", 2)
    assert cpu["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": ASG}]
    assert cpu["AlarmActions"] == [topic_arn]
    assert alarms["illustra-prod-monitoring-alb-target-response-time"]["Threshold"] == 0.5  # prod inventory value
    assert alarms["illustra-prod-monitoring-alb-target-5xx"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/illustra-prod/50dc6c495c0c9188"}
    ]
    billing = alarms["illustra-prod-monitoring-estimated-charges"]
    assert (billing["Namespace"], billing["MetricName"], billing["Threshold"]) == (
        "AWS/Billing",
        "EstimatedCharges",
        250.0,  # the prod inventory's webstack_budget_usd
    )

    subs = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subs) == [
        ("email", "oncall@example.com"),
        ("email", "ops@example.com"),
    ]
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/illustra/prod/")["logGroups"]
    assert {g["logGroupName"]: g["retentionInDays"] for g in groups} == {
        "/illustra/prod/app": 90,
        "/illustra/prod/nginx": 90,
    }
    body = json.loads(cw.get_dashboard(DashboardName="illustra-prod")["DashboardBody"])
    assert {w["properties"]["title"] for w in body["widgets"]} >= {"Backend CPU (ASG)", "ALB requests and errors"}

    budget = boto3.client("budgets").describe_budget(AccountId=_account(), BudgetName="illustra-prod-monthly")["Budget"]
    assert (float(budget["BudgetLimit"]["Amount"]), budget["TimeUnit"], budget["BudgetType"]) == (
        250.0,
        "MONTHLY",
        "COST",
    )
    everyone = [("EMAIL", "oncall@example.com"), ("EMAIL", "ops@example.com"), ("SNS", topic_arn)]
    assert _budget_notifications("illustra-prod-monthly") == {
        ("ACTUAL", 80.0): everyone,
        ("ACTUAL", 100.0): everyone,
        ("ACTUAL", 120.0): everyone,
        ("FORECASTED", 100.0): everyone,
    }

    # Idempotent, and --check on the converged account changes nothing.
    again = run_playbook(play, "inventories/prod", extra_vars=OUTPUTS)
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    check = run_playbook(play, "inventories/prod", extra_vars=OUTPUTS, check=True, diff=True)
    assert check.rc == 0 and check.changed == 0, check.changed_tasks()

    # Changes are followed: a new limit (the inventory has 250), one e-mail fewer, no ALB any more (its
    # alarms are purged).
    changed = dict(OUTPUTS, webstack_budget_usd=310, webstack_alert_emails=["ops@example.com"], alb__output=None)
    run = run_playbook(play, "inventories/prod", extra_vars=changed, diff=True)
    assert run.rc == 0, run.summary()
    budget = boto3.client("budgets").describe_budget(AccountId=_account(), BudgetName="illustra-prod-monthly")["Budget"]
    assert float(budget["BudgetLimit"]["Amount"]) == 310.0
    billing = cw.describe_alarms(AlarmNames=["illustra-prod-monitoring-estimated-charges"])["MetricAlarms"][0]
    assert billing["Threshold"] == 310.0
    assert _budget_notifications("illustra-prod-monthly")[("ACTUAL", 120.0)] == [
        ("EMAIL", "ops@example.com"),
        ("SNS", topic_arn),
    ]
    names = sorted(
        a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="illustra-prod-monitoring-")["MetricAlarms"]
    )
    assert names == [
        "illustra-prod-monitoring-asg-cpu-high",
        "illustra-prod-monitoring-asg-status-check-failed",
        "illustra-prod-monitoring-estimated-charges",
    ]
    assert run_playbook(play, "inventories/prod", extra_vars=changed).changed == 0

    # Teardown leaves nothing behind.
    down = run_playbook(play, "inventories/prod", extra_vars={"cloudwatch_state": "absent"})
    assert down.rc == 0, down.summary()
    assert tagged_resources("illustra", "prod") == []
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == [backup_alarm]  # not ours either
    cw.delete_alarms(AlarmNames=[backup_alarm])
    assert cw.list_dashboards()["DashboardEntries"] == []
    assert boto3.client("budgets").describe_budgets(AccountId=_account()).get("Budgets", []) == []
    assert run_playbook(play, "inventories/prod", extra_vars={"cloudwatch_state": "absent"}).changed == 0


def test_stack_audit_finds_insecure_resources(clean_emulator, tmp_path):
    tags = [{"Key": "Project", "Value": "illustra"}, {"Key": "Environment", "Value": "staging"}]
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(
        GroupName="open",
        Description="bad",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    good = ec2.create_security_group(
        GroupName="web",
        Description="ok",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=good,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="illustra-staging-site")
    s3.put_bucket_tagging(Bucket="illustra-staging-site", Tagging={"TagSet": tags})
    boto3.client("logs").create_log_group(
        logGroupName="/illustra/staging/app", tags={"Project": "illustra", "Environment": "staging"}
    )

    task = {
        "project": "illustra",
        "environment": "staging",
        "website_mode": "cloudfront",
        "waf_mode": "block",
        "alarm_prefix": "illustra-staging-",
        "budget_name": "illustra-staging-monthly",
    }
    play = [
        {
            "name": "Audit",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/illustra.webstack.aws": {"region": "us-east-1"}},
            "tasks": [
                {"name": "Audit warning", "illustra.webstack.stack_audit": dict(task, policy_level="warning")},
                {"name": "Audit strict", "illustra.webstack.stack_audit": dict(task, policy_level="strict")},
            ],
        }
    ]
    run = run_playbook(_play(tmp_path, "audit", play), "inventories/staging", check=True)
    warned = run.result("Audit warning")
    assert not warned.get("failed") and not warned["changed"]
    found = {(f["rule"], f["resource"]) for f in warned["stack_audit"]["findings"]}
    assert ("EC2-001", sg) in found
    assert not any(r == good for _, r in found)
    assert {("S3-001", "illustra-staging-site"), ("S3-003", "illustra-staging-site")} <= found
    assert ("LOG-001", "/illustra/staging/app") in found
    assert {("MON-001", "cloudwatch"), ("MON-002", "illustra-staging-monthly")} <= found
    assert warned["stack_audit"]["checked"]["security_groups"] == 2
    assert warned["warnings"] and "EC2-001" in warned["warnings"][0]
    strict = run.result("Audit strict")
    assert strict["failed"] and "policy level strict" in strict["msg"] and "22 (SSH)" in strict["msg"]
    assert run.rc != 0


# validate.yml against real local servers -------------------------------------------------------

ROLLBACK_ROLE = """
- name: Record that the rollback ran
  ansible.builtin.copy:
    dest: "{{ rollback_marker }}"
    content: "website_action={{ website_action }}\\n"
    mode: "0644"
"""


def _validate(tmp_path, nginx_urls, extra: dict):
    roles = tmp_path / "roles" / "fake_website" / "tasks"
    roles.mkdir(parents=True, exist_ok=True)
    (roles / "main.yml").write_text(ROLLBACK_ROLE)
    marker = tmp_path / "rolled-back"
    report_dir = tmp_path / "reports"
    report_dir.mkdir(exist_ok=True)
    ev = dict(
        OUTPUTS,
        validate_endpoints={"website": nginx_urls["https"] + "/", "api": nginx_urls["https"] + "/api/health"},
        validate_ca_path=str(nginx_urls["ca"]),
        validate_cert_min_days=7,
        validate_retries=1,
        validate_backoff=0.1,
        validate_report_dir=str(report_dir),
        validate_rollback_website=True,
        validate_rollback_website_role="fake_website",
        rollback_marker=str(marker),
        validate_api_json_match={"status": "healthy"},
    )
    ev.update(extra)
    run = run_playbook(
        "playbooks/validate.yml", "inventories/prod", extra_vars=ev, env={"ANSIBLE_ROLES_PATH": str(tmp_path / "roles")}
    )
    report = json.loads((report_dir / "validate-prod.json").read_text())
    return run, report, marker


def test_validate_gates_pass_fail_and_roll_back(clean_emulator, tmp_path, nginx):  # noqa: F811
    converge = run_playbook(_play(tmp_path, "cw", ROLE_PLAY), "inventories/prod", extra_vars=OUTPUTS)
    assert converge.rc == 0, converge.summary()

    # A good deploy passes every gate and does not roll back (the prod estimate, about $237, fits
    # the inventory's $250; this run grants $300 so the gate does not hang on the price table).
    run, report, marker = _validate(tmp_path, nginx, {"webstack_budget_usd": 300})
    assert run.rc == 0, run.summary()
    assert report["passed"] is True
    assert [g["gate"] for g in report["gates"]] == [
        "website_health",
        "api_health",
        "waf_probe",
        "monitoring",
        "security",
        "cost",
    ]
    assert all(g["passed"] and g["status"] == "ok" for g in report["gates"]), report["gates"]
    assert report["skipped"] == []
    assert report["website"]["waf_probe"]["passed"] and report["cost"]["within_budget"]
    assert not marker.exists()

    # A broken deploy (missing headers, wrong status) fails with a clear message and rolls back.
    broken = {"validate_endpoints": {"website": nginx["http"] + "/noheaders", "api": nginx["http"] + "/broken"}}
    run, report, marker = _validate(tmp_path, nginx, broken)
    assert run.rc != 0
    assert report["passed"] is False
    message = " ".join(run.failure_messages())
    assert "website_health: headers: missing header strict-transport-security" in message
    assert "api_health: status: status 502, expected one of [200]" in message
    assert "rolled back: website" in message
    assert marker.read_text() == "website_action=rollback\n"
    marker.unlink()

    # Over budget in strict mode (prod) fails validation on the cost gate.
    run, report, marker = _validate(tmp_path, nginx, {"webstack_budget_usd": 60})
    assert run.rc != 0
    cost = next(g for g in report["gates"] if g["gate"] == "cost")
    assert cost["passed"] is False and cost["blocking"] is True
    assert "exceeds the $60.00 budget" in " ".join(run.failure_messages())
    assert marker.exists()
    marker.unlink()

    # Gates that do not run (no data plane: HTTP gates off) are reported as skipped, never as ok.
    run, report, marker = _validate(tmp_path, nginx, {"webstack_budget_usd": 300, "validate_http_gates": False})
    assert run.rc == 0, run.summary()
    statuses = {g["gate"]: g["status"] for g in report["gates"]}
    assert statuses == {
        "website_health": "skipped",
        "api_health": "skipped",
        "waf_probe": "skipped",
        "monitoring": "ok",
        "security": "ok",
        "cost": "ok",
    }
    assert report["skipped"] == ["website_health", "api_health", "waf_probe"]
    assert all("skipped" in g["details"][0] for g in report["gates"] if g["status"] == "skipped")


# Staging's ALB has no certificate: its listener forwards only requests carrying CloudFront's secret
# X-Origin-Verify header and answers everything else with a fixed 403 (roles/alb). This server stands in
# for it, and records the headers of every request it gets.
ORIGIN_SECRET = "0r1g1n-v3r1fy-s3cr3t-standin"
ORIGIN_PARAMETER = "/illustra/staging/alb/origin-verify-secret"


class _StagingAlb(BaseHTTPRequestHandler):
    seen: ClassVar[list] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _StagingAlb.seen.append((self.path, dict(self.headers)))
        if self.path == "/":
            # The website (CloudFront) with its security headers: no secret is needed or expected there.
            status, body, kind = 200, b'<html><div id="root"></div></html>', "text/html"
        elif self.headers.get("X-Origin-Verify") != ORIGIN_SECRET:
            status, body, kind = 403, b"Forbidden", "text/plain"  # the ALB's fixed-response default action
        else:
            # What examples/backend's /api/health answers with its database reachable.
            status, body, kind = 200, json.dumps({"status": "ok", "database": "up"}).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in (
            ("Strict-Transport-Security", "max-age=63072000"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def staging_alb():
    _StagingAlb.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StagingAlb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _staging_alb() -> str:
    """A staging ALB as the alb role leaves it without a certificate: HTTP only (the header is required)."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    elbv2 = boto3.client("elbv2")
    alb = elbv2.create_load_balancer(Name="illustra-staging", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="illustra-staging-web", Protocol="HTTP", Port=80, VpcId=vpc)
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}],
    )
    return alb["DNSName"]


# published: the infrastructure stage ran before (site.yml) and alb__output is known; found: validate runs
# alone (an AWX validate job) and finds the load balancer with reads.
@pytest.mark.parametrize("alb", ["published", "found"])
def test_validate_sends_the_origin_verify_header_the_alb_requires(clean_emulator, tmp_path, staging_alb, alb):
    boto3.client("ssm").put_parameter(Name=ORIGIN_PARAMETER, Value=ORIGIN_SECRET, Type="SecureString")
    outputs = {}
    if alb == "published":
        # What the alb role publishes for staging (no certificate: the header is required).
        outputs["alb__output"] = {
            "dns_name": "illustra-staging-1234567890.us-east-1.elb.amazonaws.com",
            "https_enabled": False,
            "origin_verify_header": "X-Origin-Verify",
            "origin_verify_parameter": ORIGIN_PARAMETER,
        }
    else:
        _staging_alb()
    report_dir = tmp_path / "reports"
    run = run_playbook(
        "playbooks/validate.yml",
        "inventories/staging",
        extra_vars={
            **outputs,
            "validate_endpoints": {"website": staging_alb + "/", "api": staging_alb + "/api/health"},
            "validate_waf_probe": False,
            "validate_retries": 1,
            "validate_report_dir": str(report_dir),
        },
        verbosity=3,
    )
    assert run.rc == 0, run.summary()
    report = json.loads((report_dir / "validate-staging.json").read_text())
    api = next(g for g in report["gates"] if g["gate"] == "api_health")
    assert api["passed"], api
    assert report["api"]["status"] == 200

    sent = {path: headers for path, headers in _StagingAlb.seen}
    assert sent["/api/health"].get("X-Origin-Verify") == ORIGIN_SECRET
    assert "X-Origin-Verify" not in sent["/"], "the secret goes to the load balancer only"
    # The secret never shows, even at -vvv, nor in the report.
    assert ORIGIN_SECRET not in run.stdout + run.stderr
    assert ORIGIN_SECRET not in (report_dir / "validate-staging.json").read_text()
