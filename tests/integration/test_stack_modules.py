"""The collection's coarse modules against the emulator, called directly as a user's playbook would: an IAM role
with its policies and profile, a set of SSM parameters, an AWS Backup vault with its plan and selection, log groups
and an alert topic (route53_hosted_zone has its own test). Converge and assert the state; converge again
(changed=0); drift made by hand is reported by --check (which changes nothing) and repaired; state=absent removes
everything."""

from __future__ import annotations

import json

import boto3
import pytest
import webstack_test as wt

TAGS = {"Project": "modules", "Environment": "test", "ManagedBy": wt.MANAGED_BY}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}]}  # fmt: skip
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter",
        "Resource": "arn:aws:ssm:*:*:parameter/modules/*"}]}  # fmt: skip
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
SECRET = "modules-test-S3cr3t-value"
BACKUP_ROLE = "modules-backup"


def _tasks(state: str, retention: int = 35) -> list[dict]:
    present = state == "present"
    backup_role_arn = "arn:aws:iam::123456789012:role/" + BACKUP_ROLE
    return [
        {"name": "Role", "register": "role", "illustra.webstack.iam_role_bundle": (
            {"name": "modules-web", "assume_role_policy_document": TRUST, "description": "web", "managed_policies": [SSM_CORE],
             "inline_policies": {"read": READ}, "purge_inline_policies": True, "instance_profile": True, "tags": TAGS}
            if present else {"name": "modules-web", "state": "absent"})},
        {"name": "Parameters", "no_log": True, "illustra.webstack.ssm_parameters": (
            {"parameters": [{"name": "/modules/secret", "value": SECRET, "description": "a secret"},
                            {"name": "/modules/plain", "value": "v1", "type": "String"}], "tags": TAGS}
            if present else {"parameters": [{"name": "/modules/secret"}, {"name": "/modules/plain"}], "state": "absent"})},
        {"name": "Backup", "illustra.webstack.backup_vault_plan": (
            {"vault_name": "modules-vault", "plan_name": "modules-plan",
             "rules": [{"name": "daily", "schedule_expression": "cron(0 3 ? * * *)", "start_window_minutes": 60,
                        "completion_window_minutes": 360, "delete_after_days": retention}],
             "selections": [{"name": "modules-tagged", "iam_role_arn": backup_role_arn, "resources": ["arn:aws:ec2:*:*:volume/*"],
                             "conditions": {"string_equals": [{"condition_key": "aws:ResourceTag/Project", "condition_value": "modules"}]}}],
             "tags": TAGS}
            if present else {"vault_name": "modules-vault", "plan_name": "modules-plan", "state": "absent"})},
        {"name": "Log groups", "illustra.webstack.cloudwatch_log_groups": (
            {"log_groups": [{"name": "/modules/app"}, {"name": "/modules/web", "retention": 7}], "retention": 30, "tags": TAGS}
            if present else {"log_groups": [{"name": "/modules/app"}, {"name": "/modules/web"}], "state": "absent"})},
        {"name": "Topic", "register": "topic", "illustra.webstack.sns_alert_topic": (
            {"name": "modules-alerts", "display_name": "modules alerts", "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}],
             "tags": TAGS}
            if present else {"name": "modules-alerts", "state": "absent"})},
    ]  # fmt: skip


def _run(tmp_path, state="present", check=False, retention=35):
    play = [{"name": "The modules", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/illustra.webstack.aws": {"region": "us-east-1"}}, "tasks": _tasks(state, retention)}]  # fmt: skip
    path = tmp_path / f"modules-{state}.yml"
    path.write_text(json.dumps(play))
    return wt.run_playbook(str(path), check=check, diff=check)


def _plan():
    backup = boto3.client("backup")
    (summary,) = backup.list_backup_plans()["BackupPlansList"]
    plan = backup.get_backup_plan(BackupPlanId=summary["BackupPlanId"])
    (listed,) = backup.list_backup_selections(BackupPlanId=summary["BackupPlanId"])["BackupSelectionsList"]
    return plan, listed


def test_the_modules_converge_are_idempotent_report_drift_in_check_mode_and_remove_everything(clean_emulator, tmp_path):
    first = _run(tmp_path)
    assert first.rc == 0, first.summary()
    assert SECRET not in first.stdout + first.stderr

    iam = boto3.client("iam")
    role = iam.get_role(RoleName="modules-web")["Role"]
    assert role["Description"] == "web" and {t["Key"]: t["Value"] for t in role["Tags"]} == TAGS
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="modules-web")["AttachedPolicies"]] == [
        SSM_CORE
    ]
    assert iam.get_role_policy(RoleName="modules-web", PolicyName="read")["PolicyDocument"] == READ
    profile = iam.get_instance_profile(InstanceProfileName="modules-web")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["modules-web"]
    assert first.result("Role")["iam_role"]["arn"] == role["Arn"]

    ssm = boto3.client("ssm")
    secret = ssm.get_parameter(Name="/modules/secret", WithDecryption=True)["Parameter"]
    assert (secret["Type"], secret["Value"]) == ("SecureString", SECRET)
    assert ssm.get_parameter(Name="/modules/plain")["Parameter"]["Type"] == "String"
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/modules/plain")["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS

    plan, selection = _plan()
    (rule,) = plan["BackupPlan"]["Rules"]
    assert (rule["TargetBackupVaultName"], rule["Lifecycle"]["DeleteAfterDays"]) == ("modules-vault", 35)
    assert selection["SelectionName"] == "modules-tagged"
    assert boto3.client("backup").list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"] == TAGS

    logs = {
        g["logGroupName"]: g
        for g in boto3.client("logs").describe_log_groups(logGroupNamePrefix="/modules/")["logGroups"]
    }
    assert (logs["/modules/app"]["retentionInDays"], logs["/modules/web"]["retentionInDays"]) == (30, 7)

    topic = first.result("Topic")["topic"]
    subs = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic["arn"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]

    again = _run(tmp_path)
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()

    # Drift by hand: a policy rewritten, a value changed, the retention of a group and the plan changed.
    wider = dict(READ, Statement=[dict(READ["Statement"][0], Resource="*")])
    iam.put_role_policy(RoleName="modules-web", PolicyName="read", PolicyDocument=json.dumps(wider))
    ssm.put_parameter(Name="/modules/plain", Value="drifted", Type="String", Overwrite=True)
    boto3.client("logs").put_retention_policy(logGroupName="/modules/app", retentionInDays=1)
    check = _run(tmp_path, check=True)
    assert check.rc == 0, check.summary()
    assert set(check.changed_tasks()) == {"Role", "Parameters", "Log groups"}, check.summary()
    assert ssm.get_parameter(Name="/modules/plain")["Parameter"]["Value"] == "drifted", "check mode changed nothing"

    repaired = _run(tmp_path, retention=14)
    assert repaired.rc == 0, repaired.summary()
    assert iam.get_role_policy(RoleName="modules-web", PolicyName="read")["PolicyDocument"] == READ
    assert ssm.get_parameter(Name="/modules/plain")["Parameter"]["Value"] == "v1"
    plan_after, selection_after = _plan()
    assert plan_after["BackupPlanId"] == plan["BackupPlanId"], "an update keeps the plan"
    assert plan_after["BackupPlan"]["Rules"][0]["Lifecycle"]["DeleteAfterDays"] == 14
    assert selection_after["SelectionId"] == selection["SelectionId"], "an unchanged selection is kept"

    down = _run(tmp_path, state="absent")
    assert down.rc == 0, down.summary()
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="modules-web")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_instance_profile(InstanceProfileName="modules-web")
    assert ssm.get_parameters(Names=["/modules/secret", "/modules/plain"])["Parameters"] == []
    assert boto3.client("backup").list_backup_plans()["BackupPlansList"] == []
    assert boto3.client("backup").list_backup_vaults()["BackupVaultList"] == []
    assert boto3.client("logs").describe_log_groups(logGroupNamePrefix="/modules/")["logGroups"] == []
    assert not [t for t in boto3.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":modules-alerts")]

    gone = _run(tmp_path, state="absent")
    assert gone.rc == 0 and gone.changed == 0, gone.summary()
