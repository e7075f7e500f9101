"""iam_role_bundle: the pure planning functions (input checks, plans for present and absent, predicted state)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _iam_role as iam

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "arn:aws:ssm:*:*:parameter/x/*"}],
}
SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
CW = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
TAGS = {"Project": "illustra", "Environment": "prod"}


def params(**kwargs):
    base = dict(
        name="web",
        path="/",
        assume_role_policy_document=TRUST,
        description="web instances",
        max_session_duration=None,
        managed_policies=[SSM],
        inline_policies={"read": READ},
        purge_inline_policies=True,
        instance_profile=True,
        tags=TAGS,
        purge_tags=True,
    )
    base.update(kwargs)
    return base


def current(**kwargs):
    state = dict(
        name="web",
        arn="arn:aws:iam::123456789012:role/web",
        role_id="AROAEXAMPLE",
        path="/",
        description="web instances",
        max_session_duration=3600,
        assume_role_policy_document=TRUST,
        managed_policies=[SSM],
        inline_policies={"read": READ},
        instance_profile=dict(
            name="web", arn="arn:aws:iam::123456789012:instance-profile/web", roles=["web"], tags=TAGS
        ),
        tags=dict(TAGS),
    )
    state.update(kwargs)
    return state


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(name="web role"), "name/path"),
        (dict(name="x" * 65), "name/path"),
        (dict(path="no-slashes"), "name/path"),
        (dict(assume_role_policy_document="{not json"), "assume_role_policy_document is not valid JSON"),
        (dict(assume_role_policy_document={"Version": "2012-10-17"}), "must be a policy document"),
        (dict(inline_policies={"read": "[]"}), "inline_policies.read must be a policy document"),
        (dict(inline_policies={"bad name": READ}), "'bad name' is not a valid policy name"),
        (dict(managed_policies=["AmazonSSMManagedInstanceCore"]), "managed_policies takes policy ARNs"),
        (dict(max_session_duration=60), "max_session_duration must be 3600 to 43200"),
        (dict(max_session_duration=43201), "max_session_duration must be 3600 to 43200"),
    ],
)
def test_bad_input_is_named_before_any_call(kwargs, fragment):
    errors = iam.want_from_params(params(**kwargs)).errors
    assert any(fragment in e for e in errors), errors


def test_documents_arrive_as_json_strings_or_dicts():
    import json

    want = iam.want_from_params(
        params(assume_role_policy_document=json.dumps(TRUST), inline_policies={"read": json.dumps(READ), "old": None})
    )
    assert want.errors == []
    assert want.assume_role_policy_document == TRUST
    assert want.inline_policies == {"read": READ, "old": None}
    assert want.managed_policies == [SSM]


def test_a_missing_role_is_created_with_everything_that_belongs_to_it():
    want = iam.want_from_params(params())
    actions = iam.plan_present({}, want)
    assert actions == [
        ("create_role", dict(name="web", path="/", assume_role_policy_document=TRUST, description="web instances",
                             max_session_duration=3600, tags=TAGS)),
        ("attach_policy", SSM),
        ("put_policy", ("read", READ)),
        ("create_profile", dict(name="web", path="/", tags=TAGS)),
        ("add_role_to_profile", "web"),
    ]  # fmt: skip
    after = iam.apply_plan({}, actions)
    assert after["arn"] is None and after["managed_policies"] == [SSM] and after["inline_policies"] == {"read": READ}
    assert after["instance_profile"] == dict(name="web", arn=None, roles=["web"], tags=TAGS)


def test_a_missing_role_without_a_trust_policy_cannot_be_given_policies():
    want = iam.want_from_params(dict(name="db", path="/", inline_policies={"upload": READ}))
    with pytest.raises(iam.PlanError, match="give assume_role_policy_document to create it"):
        iam.plan_present({}, want)


def test_removing_a_policy_from_a_role_that_is_gone_does_nothing():
    want = iam.want_from_params(dict(name="db", path="/", inline_policies={"upload": None}))
    assert iam.plan_present({}, want) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        # The same policies written another way: single-item lists, statement order.
        dict(inline_policies={"read": dict(READ, Statement=[dict(READ["Statement"][0], Action="ssm:GetParameter")])}),
        dict(managed_policies=[SSM, SSM]),
        # What is left out is left alone.
        dict(
            description=None, managed_policies=None, inline_policies=None, tags=None, assume_role_policy_document=None
        ),
        dict(tags={"Project": "illustra"}, purge_tags=False),
    ],
)
def test_nothing_to_do_on_a_converged_role(kwargs):
    assert iam.plan_present(current(), iam.want_from_params(params(**kwargs))) == []


def test_aws_reserved_tags_are_never_purged():
    have = current(tags=dict(TAGS, **{"aws:cloudformation:stack-name": "x"}))
    assert iam.plan_present(have, iam.want_from_params(params())) == []


@pytest.mark.parametrize(
    "have, kwargs, expected",
    [
        (
            current(assume_role_policy_document={"Version": "2012-10-17", "Statement": []}),
            dict(),
            [("update_trust", TRUST)],
        ),
        (current(description="old"), dict(), [("update_role", {"description": "web instances"})]),
        (current(), dict(max_session_duration=7200), [("update_role", {"max_session_duration": 7200})]),
        (current(tags={"Project": "illustra", "Stale": "1"}), dict(),
         [("tag_role", {"Environment": "prod"}), ("untag_role", ["Stale"])]),
        (current(), dict(managed_policies=[CW]), [("attach_policy", CW), ("detach_policy", SSM)]),
        (current(inline_policies={"read": TRUST, "old": READ}), dict(),
         [("put_policy", ("read", READ)), ("delete_policy", "old")]),
        # Without purging, a policy another task put on the role stays.
        (current(inline_policies={"read": READ, "upload": READ}), dict(purge_inline_policies=False), []),
        (current(inline_policies={"read": READ, "upload": READ}), dict(inline_policies={"upload": None}, purge_inline_policies=False),
         [("delete_policy", "upload")]),
        (current(instance_profile=None), dict(),
         [("create_profile", dict(name="web", path="/", tags=TAGS)), ("add_role_to_profile", "web")]),
        (current(instance_profile=dict(name="web", arn="p", roles=[], tags=TAGS)), dict(), [("add_role_to_profile", "web")]),
        (current(instance_profile=dict(name="web", arn="p", roles=["web"], tags={})), dict(), [("tag_profile", TAGS)]),
        # Not managing the profile: a missing one stays missing.
        (current(instance_profile=None), dict(instance_profile=False), []),
    ],
)  # fmt: skip
def test_an_existing_role_is_updated_in_place(have, kwargs, expected):
    assert iam.plan_present(have, iam.want_from_params(params(**kwargs))) == expected


def test_a_profile_that_holds_another_role_is_refused():
    have = current(instance_profile=dict(name="web", arn="p", roles=["someone-else"], tags={}))
    with pytest.raises(iam.PlanError, match="holds the role someone-else"):
        iam.plan_present(have, iam.want_from_params(params()))


def test_removal_takes_the_role_out_of_its_profiles_then_deletes_policies_and_role():
    have = current(inline_policies={"a": READ, "b": READ})
    profile = dict(name="web", arn="p", roles=["web"], tags={})
    actions = iam.plan_absent(have, ["other-profile", "web"], profile)
    assert actions == [
        ("remove_role_from_profile", "other-profile"),
        ("remove_role_from_profile", "web"),
        ("delete_profile", "web"),
        ("detach_policy", SSM),
        ("delete_policy", "a"),
        ("delete_policy", "b"),
        ("delete_role", "web"),
    ]
    assert iam.apply_plan(have, actions) == {}


@pytest.mark.parametrize(
    "profile, expected",
    [
        (None, []),
        # A profile left behind by a role deleted by hand goes too.
        (dict(name="web", arn="p", roles=[], tags={}), [("delete_profile", "web")]),
        # One that holds another role is not ours to delete.
        (dict(name="web", arn="p", roles=["other"], tags={}), []),
    ],
)
def test_removal_of_a_missing_role(profile, expected):
    assert iam.plan_absent({}, [], profile) == expected


def test_apply_plan_does_not_modify_the_current_state():
    have = current()
    iam.apply_plan(have, [("put_policy", ("new", READ)), ("tag_role", {"A": "1"})])
    assert have == current()


@pytest.mark.parametrize(
    "action, arg, text",
    [
        ("create_role", {}, "create_role"),
        ("attach_policy", SSM, f"attach_policy {SSM}"),
        ("put_policy", ("read", READ), "put_policy read"),
        (
            "update_role",
            {"description": "x", "max_session_duration": 1},
            "update_role description,max_session_duration",
        ),
        ("tag_role", {"B": "1", "A": "2"}, "tag_role A,B"),
        ("untag_profile", ["A"], "untag_profile A"),
        ("create_profile", dict(name="web", path="/", tags={}), "create_profile web"),
    ],
)
def test_label(action, arg, text):
    assert iam.label(action, arg) == text


def test_describe_reads_iam_answers():
    role = {
        "RoleName": "web",
        "Arn": "arn:aws:iam::123456789012:role/web",
        "RoleId": "AROA",
        "Path": "/",
        "AssumeRolePolicyDocument": '{"Version": "2012-10-17", "Statement": []}',
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "Project", "Value": "illustra"}],
    }
    profile = {"InstanceProfileName": "web", "Arn": "p", "Roles": [{"RoleName": "web"}], "Tags": []}
    state = iam.describe(role, [{"PolicyArn": CW}, {"PolicyArn": SSM}], {"read": READ}, profile)
    assert state["description"] == "" and state["assume_role_policy_document"] == {
        "Version": "2012-10-17",
        "Statement": [],
    }
    assert state["managed_policies"] == [SSM, CW] and state["tags"] == {"Project": "illustra"}
    assert state["instance_profile"] == dict(name="web", arn="p", roles=["web"], tags={})
    assert iam.describe(role)["managed_policies"] is None
    assert iam.describe(None) == {}
