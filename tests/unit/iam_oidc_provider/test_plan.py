"""iam_oidc_provider: the pure planning functions (URL matching, validation, plan, predicted state)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _iam_oidc as oidc

URL = "https://token.actions.githubusercontent.com"
ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
TP1 = "6938fd4d98bab03faadb97b34396831e3780aea1"
TP2 = "1c58a3a8518e8759bf075b76b750d4f2df264fcd"


def current(client_ids=("sts.amazonaws.com",), thumbprints=(TP1,), tags=None):
    return dict(
        arn=ARN,
        url=URL,
        client_ids=sorted(client_ids),
        thumbprints=sorted(thumbprints),
        tags=dict(tags if tags is not None else {"Project": "illustra"}),
    )


@pytest.mark.parametrize(
    "url, key",
    [
        (URL, "token.actions.githubusercontent.com"),
        (URL + "/", "token.actions.githubusercontent.com"),
        ("https://GitLab.Example.com/", "gitlab.example.com"),
        ("https://oidc.eks.us-east-1.amazonaws.com/id/ABC123", "oidc.eks.us-east-1.amazonaws.com/id/ABC123"),
        ("token.actions.githubusercontent.com", "token.actions.githubusercontent.com"),
    ],
)
def test_provider_key(url, key):
    assert oidc.provider_key(url) == key


@pytest.mark.parametrize(
    "arn, url, expected",
    [
        (ARN, URL, True),
        (ARN, URL + "/", True),
        (ARN + "/", URL, True),
        (ARN, "https://token.actions.githubusercontent.com/extra", False),
        ("arn:aws:iam::123456789012:oidc-provider/gitlab.com", URL, False),
        ("arn:aws:iam::123456789012:oidc-provider/actions.githubusercontent.com", URL, False),
        ("arn:aws:iam::123456789012:saml-provider/token.actions.githubusercontent.com", URL, False),
    ],
)
def test_arn_matches(arn, url, expected):
    assert oidc.arn_matches(arn, url) is expected


@pytest.mark.parametrize(
    "url, thumbprints, client_ids, fragment",
    [
        ("http://token.actions.githubusercontent.com", None, None, "https://"),
        ("https://", None, None, "https://"),
        (URL, ["abc"], None, "40-character hex"),
        (URL, [TP1.replace("a", "g")], None, "40-character hex"),
        (URL, [f"{i:040x}" for i in range(6)], None, "at most 5"),
        (URL, None, [""], "1 to 255"),
        (URL, None, ["x" * 256], "1 to 255"),
    ],
)
def test_validate_rejects(url, thumbprints, client_ids, fragment):
    errors = oidc.validate(url, thumbprints, client_ids)
    assert any(fragment in e for e in errors), errors


def test_validate_accepts_good_input():
    assert oidc.validate(URL, [TP1, TP2.upper()], ["sts.amazonaws.com"]) == []
    assert oidc.validate(URL, None, None) == []


def test_describe_normalises_the_get_response():
    got = oidc.describe(
        ARN,
        {
            "Url": "token.actions.githubusercontent.com",
            "ClientIDList": ["sts.amazonaws.com", "a"],
            "ThumbprintList": [TP1.upper()],
            "Tags": [{"Key": "Project", "Value": "illustra"}],
        },
    )
    assert got == dict(
        arn=ARN, url=URL, client_ids=["a", "sts.amazonaws.com"], thumbprints=[TP1], tags={"Project": "illustra"}
    )
    assert oidc.describe(ARN, None) == {}


def test_plan_creates_a_missing_provider():
    actions = oidc.plan({}, URL, ["sts.amazonaws.com"], [TP1.upper()], {"Project": "illustra"})
    assert actions == [
        ("create", dict(url=URL, client_ids=["sts.amazonaws.com"], thumbprints=[TP1], tags={"Project": "illustra"}))
    ]
    after = oidc.apply_plan({}, actions)
    assert after == dict(
        arn=None, url=URL, client_ids=["sts.amazonaws.com"], thumbprints=[TP1], tags={"Project": "illustra"}
    )


def test_plan_creates_under_the_normalised_url():
    assert oidc.plan({}, "https://Token.Actions.GithubUserContent.com/")[0][1]["url"] == URL


def test_plan_without_thumbprints_creates_none():
    assert oidc.plan({}, URL)[0][1]["thumbprints"] == []


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(client_ids=["sts.amazonaws.com"], thumbprints=[TP1], tags={"Project": "illustra"}),
        dict(client_ids=["sts.amazonaws.com"], thumbprints=[TP1.upper()]),  # thumbprints ignore case
        dict(),  # nothing asked for: nothing managed
        dict(tags={}, purge_tags=False),
    ],
)
def test_plan_nothing_to_do(kwargs):
    assert oidc.plan(current(), URL, **kwargs) == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(thumbprints=[TP2, TP1]), [("update_thumbprints", sorted([TP1, TP2]))]),
        (dict(thumbprints=[]), [("update_thumbprints", [])]),
        (
            dict(client_ids=["b", "a"]),
            [("add_client_id", "a"), ("add_client_id", "b"), ("remove_client_id", "sts.amazonaws.com")],
        ),
        (dict(tags={"Project": "other"}), [("tag", {"Project": "other"})]),
        (dict(tags={"Environment": "staging"}), [("tag", {"Environment": "staging"}), ("untag", ["Project"])]),
        (dict(tags={"Environment": "staging"}, purge_tags=False), [("tag", {"Environment": "staging"})]),
    ],
)
def test_plan_updates_in_place(kwargs, expected):
    assert oidc.plan(current(), URL, **kwargs) == expected


def test_plan_never_purges_aws_reserved_tags():
    have = current(tags={"aws:cloudformation:stack-name": "x", "Project": "illustra"})
    assert oidc.plan(have, URL, tags={"Project": "illustra"}) == []


def test_apply_plan_predicts_the_result():
    have = current(client_ids=["old"], tags={"Project": "illustra", "Stale": "1"})
    actions = oidc.plan(have, URL, ["sts.amazonaws.com"], [TP2], {"Project": "illustra", "Environment": "dev"})
    after = oidc.apply_plan(have, actions)
    assert after == dict(
        arn=ARN,
        url=URL,
        client_ids=["sts.amazonaws.com"],
        thumbprints=[TP2],
        tags={"Project": "illustra", "Environment": "dev"},
    )
    assert have["client_ids"] == ["old"], "the current state must not be modified"
    assert oidc.apply_plan(have, [("delete", None)]) == {}


@pytest.mark.parametrize(
    "action, arg, text",
    [
        ("create", {}, "create"),
        ("update_thumbprints", [TP1], "update_thumbprints"),
        ("add_client_id", "sts.amazonaws.com", "add_client_id sts.amazonaws.com"),
        ("tag", {"B": "1", "A": "2"}, "tag A,B"),
        ("untag", ["A", "B"], "untag A,B"),
    ],
)
def test_label(action, arg, text):
    assert oidc.label(action, arg) == text
