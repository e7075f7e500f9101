"""backup_vault_plan: the pure planning functions (input checks, plans for present and absent, predicted state)."""

import copy

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _backup_plan as bp

ROLE = "arn:aws:iam::123456789012:role/illustra-prod-backup-aws-backup"
TAGS = {"Project": "illustra", "Environment": "prod"}
RULE = dict(name="daily", schedule_expression="cron(0 3 ? * * *)", start_window_minutes=60,
            completion_window_minutes=360, delete_after_days=35)  # fmt: skip
SELECTION = dict(
    name="tagged",
    iam_role_arn=ROLE,
    resources=["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"],
    not_resources=[],
    list_of_tags=[],
    conditions=dict(string_equals=[
        dict(condition_key="aws:ResourceTag/Project", condition_value="illustra"),
        dict(condition_key="aws:ResourceTag/Environment", condition_value="prod"),
    ]),
)  # fmt: skip


def params(**kwargs):
    base = dict(vault_name="vault", vault_kms_key_arn=None, plan_name="plan", rules=[RULE], selections=[SELECTION],
                purge_selections=True, state="present", force=False, tags=TAGS, purge_tags=True)  # fmt: skip
    base.update(kwargs)
    return base


def aws_rule(**kwargs):
    """The rule as AWS Backup returns it: its defaults filled in and a rule id."""
    rule = {"RuleName": "daily", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 3 ? * * *)",
            "StartWindowMinutes": 60, "CompletionWindowMinutes": 360, "Lifecycle": {"DeleteAfterDays": 35,
            "OptInToArchiveForSupportedResources": False}, "ScheduleExpressionTimezone": "Etc/UTC", "RuleId": "r-1"}  # fmt: skip
    rule.update(kwargs)
    return rule


def aws_selection(**kwargs):
    """The selection as GetBackupSelection returns it: every list and condition operator present."""
    selection = bp.selection_to_api(SELECTION)
    selection["Conditions"]["StringEquals"].reverse()  # order does not matter
    selection.update(kwargs)
    return dict(selection, id="s-1")


def converged(**kwargs):
    state = dict(
        vault=dict(name="vault", arn="arn:aws:backup:us-east-1:123456789012:backup-vault:vault", encryption_key_arn="k",
                   recovery_points=0, tags=dict(TAGS)),
        plans=[dict(name="plan", id="p-1", arn="arn:aws:backup:us-east-1:123456789012:backup-plan:p-1", version_id="v1",
                    rules=[aws_rule()], tags=dict(TAGS), selections=[aws_selection()])],
    )  # fmt: skip
    state.update(kwargs)
    return state


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(rules=[]), "needs at least one rule"),
        (dict(rules=[RULE, RULE]), "each rule name once"),
        (dict(rules=[dict(RULE, delete_after_days=30, move_to_cold_storage_after_days=10)]), "at least 90 days after"),
        (dict(rules=[dict(RULE, start_window_minutes=30)]), "start_window_minutes must be at least 60"),
        (dict(rules=[dict(RULE, completion_window_minutes=60)]), "more than start_window_minutes"),
        (dict(selections=[SELECTION, SELECTION]), "each selection name once"),
        (dict(selections=[dict(SELECTION, resources=[])]), "selects nothing"),
        (dict(selections=[dict(SELECTION, iam_role_arn="backup-role")]), "iam_role_arn must be the ARN"),
    ],
)
def test_bad_input_is_named_before_any_call(kwargs, fragment):
    errors = bp.validate(params(**kwargs))
    assert any(fragment in e for e in errors), errors


def test_removal_needs_no_rules():
    assert bp.validate(params(state="absent", rules=None, selections=[])) == []


def test_everything_missing_is_created_vault_first_then_plan_then_selection():
    actions = bp.plan_present(dict(vault=None, plans=[]), params())
    assert [a for a, _ in actions] == ["create_vault", "create_plan", "create_selection"]
    assert actions[1][1]["rules"] == [
        {"RuleName": "daily", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 3 ? * * *)",
         "StartWindowMinutes": 60, "CompletionWindowMinutes": 360, "Lifecycle": {"DeleteAfterDays": 35}}
    ]  # fmt: skip
    assert actions[2][1]["plan_id"] is None  # the plan's id comes from its creation
    after = bp.public(bp.apply_plan(dict(vault=None, plans=[]), actions))
    assert after["vault"]["tags"] == TAGS and after["plan"]["tags"] == TAGS
    assert [s["name"] for s in after["selections"]] == ["tagged"]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(tags=None),  # tags left alone
        dict(tags={"Project": "illustra"}, purge_tags=False),
    ],
)
def test_nothing_to_do_on_what_aws_returns_for_a_converged_stack(kwargs):
    assert bp.plan_present(converged(), params(**kwargs)) == []


@pytest.mark.parametrize(
    "rules, differs",
    [
        ([dict(RULE, delete_after_days=14)], True),
        ([dict(RULE, schedule_expression="cron(0 4 ? * * *)")], True),
        ([RULE, dict(RULE, name="weekly")], True),
        ([dict(name="daily", delete_after_days=35)], False),  # what is not set is AWS's to fill in
        ([dict(RULE, recovery_point_tags={"Backup": "daily"})], True),
    ],
)
def test_rules_are_compared_on_what_is_set(rules, differs):
    actions = bp.plan_present(converged(), params(rules=rules))
    assert (
        actions[:1] == [("update_plan", dict(id="p-1", name="plan", rules=[bp.rule_to_api(r, "vault") for r in rules]))]
    ) is differs


def test_a_selection_that_differs_is_replaced():
    wanted = dict(SELECTION, resources=["arn:aws:ec2:*:*:volume/*"])
    actions = bp.plan_present(converged(), params(selections=[wanted]))
    assert actions == [
        ("delete_selection", dict(plan_id="p-1", id="s-1", name="tagged")),
        ("create_selection", dict(plan_id="p-1", selection=bp.selection_to_api(wanted))),
    ]


@pytest.mark.parametrize(
    "purge, expected",
    [(True, [("delete_selection", dict(plan_id="p-1", id="s-1", name="tagged"))]), (False, [])],
)
def test_selections_no_longer_wanted(purge, expected):
    assert bp.plan_present(converged(), params(selections=[], purge_selections=purge)) == expected


def test_tags_of_vault_and_plan():
    state = converged()
    state["vault"]["tags"] = {"Project": "illustra", "Stale": "1"}
    actions = bp.plan_present(state, params())
    assert actions == [
        ("tag_vault", (state["vault"]["arn"], {"Environment": "prod"})),
        ("untag_vault", (state["vault"]["arn"], ["Stale"])),
    ]


def test_two_plans_of_one_name_are_not_guessed_between():
    state = converged()
    state["plans"].append(dict(state["plans"][0], id="p-2"))
    with pytest.raises(bp.PlanError, match="2 backup plans are named plan"):
        bp.plan_present(state, params())


def test_removal_takes_selections_before_plans_and_every_plan_of_the_name():
    state = converged()
    state["plans"].append(dict(state["plans"][0], id="p-2", selections=[]))
    actions, kept = bp.plan_absent(state)
    assert actions == [
        ("delete_selection", dict(plan_id="p-1", id="s-1", name="tagged")),
        ("delete_plan", dict(id="p-1", name="plan")),
        ("delete_plan", dict(id="p-2", name="plan")),
        ("delete_vault", "vault"),
    ]
    assert kept == "" and bp.apply_plan(state, actions) == dict(vault=None, plans=[])


@pytest.mark.parametrize(
    "force, expected, kept",
    [
        (False, [("delete_plan", dict(id="p-1", name="plan"))], "is kept: it holds 3 recovery point(s)"),
        (True, [("delete_plan", dict(id="p-1", name="plan")), ("delete_recovery_points", "vault"), ("delete_vault", "vault")], ""),
    ],
)  # fmt: skip
def test_a_vault_with_recovery_points_is_kept_unless_forced(force, expected, kept):
    state = converged()
    state["vault"]["recovery_points"] = 3
    state["plans"][0]["selections"] = []
    actions, why = bp.plan_absent(state, force)
    assert actions == expected and kept in why


def test_removal_of_nothing():
    assert bp.plan_absent(dict(vault=None, plans=[])) == ([], "")


def test_apply_plan_does_not_modify_the_current_state():
    state = converged()
    before = copy.deepcopy(state)
    bp.apply_plan(state, bp.plan_absent(state)[0])
    assert state == before


def test_public_state_is_snake_case():
    out = bp.public(converged())
    assert out["plan"]["rules"][0]["lifecycle"] == {
        "delete_after_days": 35,
        "opt_in_to_archive_for_supported_resources": False,
    }
    (selection,) = out["selections"]
    assert selection["id"] == "s-1" and selection["iam_role_arn"] == ROLE
    assert selection["conditions"]["string_equals"][0]["condition_key"].startswith("aws:ResourceTag/")


@pytest.mark.parametrize(
    "action, arg, text",
    [
        ("create_vault", dict(name="vault"), "create_vault vault"),
        ("delete_vault", "vault", "delete_vault vault"),
        ("update_plan", dict(name="plan"), "update_plan plan"),
        ("create_selection", dict(plan_id=None, selection={"SelectionName": "tagged"}), "create_selection tagged"),
        ("tag_plan", ("arn", {"B": "1", "A": "2"}), "tag_plan A,B"),
        ("untag_vault", ("arn", ["A"]), "untag_vault A"),
    ],
)
def test_label(action, arg, text):
    assert bp.label(action, arg) == text
