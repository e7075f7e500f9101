"""backup_vault_plan: the API calls with botocore's Stubber (what is read, request shapes, retries, errors, the wait
for deleted recovery points). The emulator has no recovery points (it runs no backup job): they are covered here."""

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _backup_plan as bp
from ansible_collections.illustra.webstack.plugins.modules import backup_vault_plan as mod
from botocore.stub import Stubber

ROLE = "arn:aws:iam::123456789012:role/backup"
VAULT_ARN = "arn:aws:backup:us-east-1:123456789012:backup-vault:vault"
PLAN_ARN = "arn:aws:backup:us-east-1:123456789012:backup-plan:p-1"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
SELECTION = dict(name="tagged", iam_role_arn=ROLE, resources=["arn:aws:ec2:*:*:volume/*"], not_resources=[],
                 list_of_tags=[], conditions=None)  # fmt: skip
RULE = dict(name="daily", schedule_expression="cron(0 3 ? * * *)", delete_after_days=35)
# AWS Backup's BackupRuleInput and BackupSelection for RULE and SELECTION, written out from the API
# reference (CreateBackupPlan, CreateBackupSelection) rather than by the code under test.
RULE_REQUEST = {"RuleName": "daily", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 3 ? * * *)",
                "Lifecycle": {"DeleteAfterDays": 35}}  # fmt: skip
SELECTION_REQUEST = {
    "SelectionName": "tagged",
    "IamRoleArn": ROLE,
    "Resources": ["arn:aws:ec2:*:*:volume/*"],
    "NotResources": [],
    "ListOfTags": [],
    "Conditions": {"StringEquals": [], "StringNotEquals": [], "StringLike": [], "StringNotLike": []},
}


@pytest.fixture
def client():
    c = boto3.client("backup", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def params(**kwargs):
    base = dict(vault_name="vault", vault_kms_key_arn=None, plan_name="plan", rules=[RULE], selections=[SELECTION],
                purge_selections=True, state="present", force=False, tags={"Project": "illustra"}, purge_tags=True)  # fmt: skip
    base.update(kwargs)
    return base


def _vault(points=0):
    return {"BackupVaultName": "vault", "BackupVaultArn": VAULT_ARN, "NumberOfRecoveryPoints": points}


def _stub_read(client, plan=True):
    client.stub.add_response(
        "list_backup_vaults", {"BackupVaultList": [{"BackupVaultName": "other", "BackupVaultArn": "x"}, _vault()]}, {}
    )
    client.stub.add_response("list_tags", {"Tags": {"Project": "illustra"}}, {"ResourceArn": VAULT_ARN})
    plans = (
        [{"BackupPlanName": "plan", "BackupPlanId": "p-1", "BackupPlanArn": PLAN_ARN, "VersionId": "v1"}]
        if plan
        else []
    )
    client.stub.add_response("list_backup_plans", {"BackupPlansList": plans}, {})
    if not plan:
        return
    rule = dict(RULE_REQUEST, RuleId="r-1", StartWindowMinutes=480)
    client.stub.add_response(
        "get_backup_plan",
        {"BackupPlan": {"BackupPlanName": "plan", "Rules": [rule]}, "BackupPlanId": "p-1", "VersionId": "v1"},
        {"BackupPlanId": "p-1"},
    )
    client.stub.add_response(
        "list_backup_selections",
        {"BackupSelectionsList": [{"SelectionId": "s-1", "SelectionName": "tagged", "BackupPlanId": "p-1"}]},
        {"BackupPlanId": "p-1"},
    )
    client.stub.add_response(
        "get_backup_selection",
        {"BackupSelection": SELECTION_REQUEST, "SelectionId": "s-1", "BackupPlanId": "p-1"},
        {"BackupPlanId": "p-1", "SelectionId": "s-1"},
    )
    client.stub.add_response("list_tags", {"Tags": {"Project": "illustra"}}, {"ResourceArn": PLAN_ARN})


def test_a_converged_stack_reads_vault_plan_selections_and_tags_and_plans_nothing(client):
    _stub_read(client)
    current = mod.read(client, params(), manage_tags=True)
    assert current["vault"]["recovery_points"] == 0 and current["plans"][0]["selections"][0]["id"] == "s-1"
    assert bp.plan_present(current, params()) == []


def test_create_request_shapes(client):
    actions = bp.plan_present(dict(vault=None, plans=[]), params())
    client.stub.add_response(
        "create_backup_vault",
        {"BackupVaultName": "vault", "BackupVaultArn": VAULT_ARN},
        {"BackupVaultName": "vault", "BackupVaultTags": {"Project": "illustra"}},
    )
    client.stub.add_response(
        "create_backup_plan",
        {"BackupPlanId": "p-1", "BackupPlanArn": PLAN_ARN, "VersionId": "v1"},
        {"BackupPlan": {"BackupPlanName": "plan", "Rules": [RULE_REQUEST]}, "BackupPlanTags": {"Project": "illustra"}},
    )
    client.stub.add_response(
        "create_backup_selection",
        {"SelectionId": "s-1", "BackupPlanId": "p-1"},
        {"BackupPlanId": "p-1", "BackupSelection": SELECTION_REQUEST},
    )
    created = mod.apply_actions(client, actions, 900)
    assert created == dict(
        vault_arn=VAULT_ARN, plan_id="p-1", plan_arn=PLAN_ARN, version_id="v1", selection_ids={"tagged": "s-1"}
    )


def test_an_update_keeps_the_plan_id(client):
    client.stub.add_response(
        "update_backup_plan",
        {"BackupPlanId": "p-1", "VersionId": "v2"},
        {"BackupPlanId": "p-1", "BackupPlan": {"BackupPlanName": "plan", "Rules": [RULE_REQUEST]}},
    )
    created = mod.apply_actions(client, [("update_plan", dict(id="p-1", name="plan", rules=[RULE_REQUEST]))], 900)
    assert created == {"version_id": "v2"}


def test_removal_request_shapes(client):
    client.stub.add_response("delete_backup_selection", {}, {"BackupPlanId": "p-1", "SelectionId": "s-1"})
    client.stub.add_response("delete_backup_plan", {"BackupPlanId": "p-1"}, {"BackupPlanId": "p-1"})
    client.stub.add_response("delete_backup_vault", {}, {"BackupVaultName": "vault"})
    mod.apply_actions(
        client,
        [("delete_selection", dict(plan_id="p-1", id="s-1", name="tagged")), ("delete_plan", dict(id="p-1", name="plan")),
         ("delete_vault", "vault")],
        900,
    )  # fmt: skip


def test_forced_removal_deletes_recovery_points_and_waits_for_them(client, monkeypatch):
    point = "arn:aws:ec2:us-east-1::snapshot/snap-1"
    client.stub.add_response(
        "list_recovery_points_by_backup_vault",
        {"RecoveryPoints": [{"RecoveryPointArn": point, "Status": "COMPLETED"},
                            {"RecoveryPointArn": point + "b", "Status": "DELETING"}]},
        {"BackupVaultName": "vault"},
    )  # fmt: skip
    client.stub.add_response("delete_recovery_point", {}, {"BackupVaultName": "vault", "RecoveryPointArn": point})
    client.stub.add_response("list_backup_vaults", {"BackupVaultList": [_vault(points=1)]}, {})
    client.stub.add_response("list_backup_vaults", {"BackupVaultList": [_vault(points=0)]}, {})
    client.stub.add_response("delete_backup_vault", {}, {"BackupVaultName": "vault"})
    monkeypatch.setattr(mod.time, "sleep", lambda _s: None)
    mod.apply_actions(client, [("delete_recovery_points", "vault"), ("delete_vault", "vault")], 900)


def test_recovery_points_that_outlast_the_wait_stop_the_removal_with_a_reason(client):
    client.stub.add_response("list_backup_vaults", {"BackupVaultList": [_vault(points=2)]}, {})
    with pytest.raises(mod.PlanError, match="still holds 2 recovery point"):
        mod.wait_until_empty(client, "vault", 0)


@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceUnavailableException"])
def test_throttling_is_retried(client, code):
    client.stub.add_client_error("list_backup_plans", code, "slow down", http_status_code=400)
    client.stub.add_response("list_backup_plans", {"BackupPlansList": []}, {})
    assert mod.find_plans(client, "plan") == []


def test_other_errors_surface_with_what_failed(client):
    client.stub.add_client_error(
        "create_backup_selection", "InvalidParameterValueException", "bad role", http_status_code=400
    )
    with pytest.raises(AnsibleAWSError, match="Failed to create the backup selection"):
        mod.apply_actions(
            client, [("create_selection", dict(plan_id="p-1", selection=bp.selection_to_api(SELECTION)))], 900
        )


def test_what_vanished_meanwhile_is_not_an_error(client):
    client.stub.add_client_error("get_backup_plan", "ResourceNotFoundException", "gone", http_status_code=400)
    client.stub.add_client_error("delete_backup_selection", "ResourceNotFoundException", "gone", http_status_code=400)
    client.stub.add_client_error("delete_backup_plan", "ResourceNotFoundException", "gone", http_status_code=400)
    assert mod.get_plan(client, "p-1") is None
    mod.apply_actions(
        client,
        [("delete_selection", dict(plan_id="p-1", id="s-1", name="x")), ("delete_plan", dict(id="p-1", name="plan"))],
        900,
    )


def test_the_plan_of_a_deleted_name_is_not_found(client):
    client.stub.add_response(
        "list_backup_plans",
        {"BackupPlansList": [{"BackupPlanName": "plan", "BackupPlanId": "p-0", "DeletionDate": NOW}]},
        {},
    )
    assert mod.find_plans(client, "plan") == []
