"""sns_alert_topic: the pure planning functions (subscriptions by protocol and endpoint, pending ones left alone)."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _sns_topic as sns

ARN = "arn:aws:sns:us-east-1:123456789012:illustra-prod-alerts"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
          "Action": "SNS:Publish", "Resource": "*"}]}  # fmt: skip
OPS = dict(protocol="email", endpoint="ops@example.com")


def topic(**kwargs):
    state = dict(arn=ARN, name="illustra-prod-alerts", display_name="alerts", policy=POLICY,
                 subscriptions=[dict(OPS, arn=ARN + ":s1")], tags={"Project": "illustra"})  # fmt: skip
    state.update(kwargs)
    return state


def plan(current, **kwargs):
    wanted = dict(display_name="alerts", policy=POLICY, subscriptions=[OPS], tags={"Project": "illustra"})
    wanted.update(kwargs)
    return sns.plan_present(current, "illustra-prod-alerts", **wanted)


@pytest.mark.parametrize(
    "name, subscriptions, fragment",
    [
        ("bad name", [], "is not a topic name"),
        ("t", [dict(protocol="pigeon", endpoint="x")], "is not an SNS protocol"),
        ("t", [dict(protocol="email", endpoint="ops")], "is not an e-mail address"),
    ],
)
def test_bad_input_is_named(name, subscriptions, fragment):
    assert any(fragment in e for e in sns.validate(name, subscriptions))


def test_describe_reads_the_policy_and_sorts_subscriptions():
    subs = [{"Protocol": "email", "Endpoint": "b@x", "SubscriptionArn": "PendingConfirmation"},
            {"Protocol": "email", "Endpoint": "a@x", "SubscriptionArn": ARN + ":s"}]  # fmt: skip
    import json

    state = sns.describe(ARN, {"DisplayName": "d", "Policy": json.dumps(POLICY)}, subs)
    assert state["name"] == "illustra-prod-alerts" and state["policy"] == POLICY
    assert [s["endpoint"] for s in state["subscriptions"]] == ["a@x", "b@x"]


def test_a_missing_topic_is_created_then_subscribed():
    actions = plan({})
    assert actions == [
        (
            "create",
            dict(name="illustra-prod-alerts", display_name="alerts", policy=POLICY, tags={"Project": "illustra"}),
        ),
        ("subscribe", OPS),
    ]
    after = sns.apply_plan({}, actions)
    assert after["arn"] is None and after["subscriptions"] == [dict(OPS, arn="PendingConfirmation")]


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(display_name=None, policy=None, subscriptions=None, tags=None),
     dict(policy=dict(POLICY, Statement=[dict(POLICY["Statement"][0], Action=["SNS:Publish"])]))],
)  # fmt: skip
def test_nothing_to_do(kwargs):
    assert plan(topic(), **kwargs) == []


@pytest.mark.parametrize(
    "current, kwargs, expected",
    [
        (topic(display_name="old"), {}, [("set_attribute", ("DisplayName", "alerts"))]),
        (topic(policy={"Version": "2012-10-17", "Statement": []}), {}, [("set_attribute", ("Policy", POLICY))]),
        (topic(subscriptions=[]), {}, [("subscribe", OPS)]),
        (topic(subscriptions=[dict(OPS, arn=ARN + ":s1"), dict(protocol="email", endpoint="old@x", arn=ARN + ":s2")]), {},
         [("unsubscribe", dict(protocol="email", endpoint="old@x", arn=ARN + ":s2"))]),
        # A pending one cannot be removed.
        (topic(subscriptions=[dict(OPS, arn=ARN + ":s1"), dict(protocol="email", endpoint="old@x", arn="PendingConfirmation")]), {}, []),
        (topic(subscriptions=[dict(OPS, arn=ARN + ":s1"), dict(protocol="email", endpoint="old@x", arn=ARN + ":s2")]),
         dict(purge_subscriptions=False), []),
        (topic(tags={"Project": "illustra", "Stale": "1"}), {}, [("untag", ["Stale"])]),
    ],
)  # fmt: skip
def test_an_existing_topic_is_updated(current, kwargs, expected):
    assert plan(current, **kwargs) == expected


def test_removal():
    assert sns.apply_plan(topic(), [("delete", ARN)]) == {}


@pytest.mark.parametrize(
    "action, arg, text",
    [
        ("create", dict(name="t"), "create t"),
        ("set_attribute", ("Policy", {}), "set Policy"),
        ("subscribe", OPS, "subscribe email:ops@example.com"),
        ("untag", ["A"], "untag A"),
    ],
)
def test_label(action, arg, text):
    assert sns.label(action, arg) == text
