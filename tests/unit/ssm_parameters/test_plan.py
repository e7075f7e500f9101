"""ssm_parameters: the pure planning functions (input checks, plans, predicted state, labels without values)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _ssm_parameters as ssm

TAGS = {"Project": "illustra", "Environment": "prod"}


def want(name="/illustra/prod/db/uri", value="mongodb://u:p@db:27017/app", **kwargs):
    param = dict(name=name, value=value, type="SecureString", description=None, key_id=None, tier=None)
    param.update(kwargs)
    return param


def have(name="/illustra/prod/db/uri", value="mongodb://u:p@db:27017/app", **kwargs):
    state = dict(name=name, type="SecureString", value=value, version=3, description="", key_id="alias/aws/ssm",
                 tier="Standard", tags=dict(TAGS))  # fmt: skip
    state.update(kwargs)
    return state


@pytest.mark.parametrize(
    "parameters, state, fragment",
    [
        ([want(), want()], "present", "each name once"),
        ([want(name="no spaces allowed")], "present", "is not a parameter name"),
        ([want(name="/" + "/".join("x" * 16))], "present", "is not a parameter name"),
        ([want(name="/aws/service/x")], "present", "may not start with aws or ssm"),
        ([want(name="ssm-thing")], "present", "may not start with aws or ssm"),
        ([want(value=None)], "present", "has no value"),
        ([want(value="")], "present", "has an empty value"),
        ([want(value="x" * 4097)], "present", "set tier: Advanced"),
        ([want(type="String", key_id="alias/mine")], "present", "key_id applies to SecureString"),
        ([want(description="d" * 1025)], "present", "description is over 1024"),
    ],
)
def test_bad_input_is_named_before_any_call(parameters, state, fragment):
    errors = ssm.validate(parameters, state)
    assert any(fragment in e for e in errors), errors


def test_good_input_and_removal_without_values_pass():
    assert ssm.validate([want(), want(name="/illustra/prod/x", value="x" * 5000, tier="Advanced")], "present") == []
    assert ssm.validate([dict(name="/illustra/prod/db/uri", value=None)], "absent") == []


def test_missing_parameters_are_created_with_the_tags():
    actions = ssm.plan_present({}, [want()], TAGS)
    assert actions == [("create", dict(want(), tags=TAGS))]
    after = ssm.apply_plan({}, actions)["/illustra/prod/db/uri"]
    assert after["version"] == 1 and after["key_id"] == "alias/aws/ssm" and after["tags"] == TAGS


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(key_id="alias/aws/ssm"),
        dict(description=""),
        dict(tier="Standard"),
    ],
)
def test_nothing_to_do_when_converged(kwargs):
    assert ssm.plan_present({"/illustra/prod/db/uri": have()}, [want(**kwargs)], TAGS) == []


@pytest.mark.parametrize(
    "current, wanted, reasons",
    [
        (have(value="old"), want(), ["value"]),
        (have(type="String"), want(), ["type"]),
        (have(), want(description="MongoDB connection string"), ["description"]),
        (have(), want(key_id="alias/illustra"), ["key_id"]),
        (have(), want(tier="Advanced"), ["tier"]),
        (have(value="old", description="x"), want(description="y"), ["value", "description"]),
    ],
)
def test_a_parameter_that_differs_is_written_again(current, wanted, reasons):
    actions = ssm.plan_present({current["name"]: current}, [wanted], TAGS)
    assert actions == [("put", dict(wanted, reasons=reasons))]
    assert ssm.apply_plan({current["name"]: current}, actions)[current["name"]]["version"] == 4


def test_overwrite_never_keeps_a_value_and_still_converges_tags():
    current = {"/illustra/prod/db/uri": have(value="generated once", tags={"Project": "illustra"})}
    actions = ssm.plan_present(current, [want(value="generated again")], TAGS, overwrite="never")
    assert actions == [("tag", ("/illustra/prod/db/uri", {"Environment": "prod"}))]


@pytest.mark.parametrize(
    "tags, purge, expected",
    [
        (None, True, []),  # not managed
        ({"Project": "illustra"}, True, [("untag", ("/illustra/prod/db/uri", ["Environment"]))]),
        ({"Project": "illustra"}, False, []),
        (dict(TAGS, Owner="web"), True, [("tag", ("/illustra/prod/db/uri", {"Owner": "web"}))]),
    ],
)
def test_tags(tags, purge, expected):
    assert ssm.plan_present({"/illustra/prod/db/uri": have()}, [want()], tags, purge) == expected


@pytest.mark.parametrize(
    "current, wanted",
    [
        ("alias/aws/ssm", None),
        ("arn:aws:kms:us-east-1:123456789012:alias/illustra", "alias/illustra"),
        ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ],
)  # fmt: skip
def test_a_key_may_come_back_in_another_form(current, wanted):
    assert ssm.key_matches(current, wanted)


def test_removal_deletes_what_exists_in_batches_of_ten():
    names = [f"/illustra/prod/p{i:02}" for i in range(12)]
    current = {name: have(name=name) for name in names[:11]}
    actions = ssm.plan_absent(current, names)
    assert actions == [("delete", names[:10]), ("delete", names[10:11])]
    assert ssm.apply_plan(current, actions) == {}
    assert ssm.plan_absent({}, names) == []


def test_labels_and_the_public_state_never_carry_a_value():
    secret = "s3cr3t-value"
    actions = ssm.plan_present(
        {"/x/a": have(name="/x/a", value="old")},
        [want(name="/x/a", value=secret), want(name="/x/b", value=secret)],
        TAGS,
    )
    labels = [ssm.label(a, arg) for a, arg in actions]
    assert labels == ["put /x/a (value)", "create /x/b"]
    after = ssm.apply_plan({}, actions[1:])
    assert secret not in str([ssm.describe_public(s) for s in after.values()])


def test_describe_reads_the_three_answers():
    got = {"Name": "/x/a", "Type": "String", "Value": "v", "Version": 2}
    state = ssm.describe(got, {"Description": "d", "Tier": "Advanced"}, {"Project": "illustra"})
    assert state == dict(name="/x/a", type="String", value="v", version=2, description="d", key_id=None,
                         tier="Advanced", tags={"Project": "illustra"})  # fmt: skip
    assert ssm.describe(got)["tags"] is None
