"""cloudwatch_log_groups: the pure planning functions (input checks, plans, predicted state)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _log_groups as lg

TAGS = {"Project": "illustra", "Environment": "prod"}
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/illustra/prod/app"


def have(name="/illustra/prod/app", **kwargs):
    state = dict(name=name, arn=ARN, retention=30, kms_key_id=None, tags=dict(TAGS))
    state.update(kwargs)
    return state


def group(name="/illustra/prod/app", **kwargs):
    wanted = dict(name=name, retention=30, kms_key_id=None)
    wanted.update(kwargs)
    return wanted


@pytest.mark.parametrize(
    "groups, fragment",
    [
        ([group(), group()], "each name once"),
        ([group(name="bad name")], "is not a log group name"),
        ([group(name="")], "is not a log group name"),
        ([group(retention=31)], "retention 31 is not one CloudWatch Logs keeps"),
    ],
)
def test_bad_input_is_named_before_any_call(groups, fragment):
    errors = lg.validate(groups)
    assert any(fragment in e for e in errors), errors


def test_a_missing_group_is_created_with_its_tags_then_its_retention():
    actions = lg.plan_present({}, [group()], TAGS)
    assert actions == [
        ("create", dict(name="/illustra/prod/app", kms_key_id=None, tags=TAGS)),
        ("put_retention", ("/illustra/prod/app", 30)),
    ]
    assert lg.apply_plan({}, actions)["/illustra/prod/app"] == dict(
        name="/illustra/prod/app", arn=None, retention=30, kms_key_id=None, tags=TAGS
    )


@pytest.mark.parametrize(
    "wanted, tags",
    [
        (group(), TAGS),
        (group(retention=None), TAGS),
        (group(), None),
        (group(kms_key_id=None), {"Project": "illustra"}),
    ],
)
def test_nothing_to_do(wanted, tags):
    purge = tags is not None and tags == TAGS
    assert lg.plan_present({"/illustra/prod/app": have()}, [wanted], tags, purge_tags=purge) == []


@pytest.mark.parametrize(
    "current, wanted, expected",
    [
        (have(retention=None), group(), [("put_retention", ("/illustra/prod/app", 30))]),
        (have(retention=14), group(retention=90), [("put_retention", ("/illustra/prod/app", 90))]),
        (have(), group(kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k"),
         [("associate_kms_key", ("/illustra/prod/app", "arn:aws:kms:us-east-1:123456789012:key/k"))]),
        (have(tags={"Project": "illustra", "Stale": "1"}), group(),
         [("tag", ("/illustra/prod/app", {"Environment": "prod"})), ("untag", ("/illustra/prod/app", ["Stale"]))]),
    ],
)  # fmt: skip
def test_an_existing_group_is_updated(current, wanted, expected):
    assert lg.plan_present({current["name"]: current}, [wanted], TAGS) == expected


def test_removal_deletes_what_exists():
    current = {"/a": have(name="/a")}
    assert lg.plan_absent(current, ["/a", "/b"]) == [("delete", "/a")]
    assert lg.apply_plan(current, [("delete", "/a")]) == {}


def test_describe_takes_the_arn_without_its_wildcard():
    entry = {"logGroupName": "/a", "arn": ARN + ":*", "retentionInDays": 7}
    assert lg.describe(entry) == dict(name="/a", arn=ARN, retention=7, kms_key_id=None, tags=None)
    assert lg.describe(dict(entry, logGroupArn=ARN))["arn"] == ARN


@pytest.mark.parametrize(
    "action, arg, text",
    [
        ("create", dict(name="/a"), "create /a"),
        ("put_retention", ("/a", 30), "put_retention /a 30"),
        ("tag", ("/a", {"B": "1", "A": "2"}), "tag /a A,B"),
        ("untag", ("/a", ["A"]), "untag /a A"),
        ("delete", "/a", "delete /a"),
    ],
)
def test_label(action, arg, text):
    assert lg.label(action, arg) == text
