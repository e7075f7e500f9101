"""budget: the API wrappers and the update path with botocore's Stubber (moto lacks UpdateBudget upstream)."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import budget as mod
from botocore.stub import Stubber

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:123456789012:illustra-prod-alerts"


@pytest.fixture
def client():
    c = boto3.client("budgets", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


PARAMS = dict(
    name="illustra-prod-monthly",
    limit_usd=200.0,
    time_unit="MONTHLY",
    cost_filters={},
    actual_thresholds=[80, 100, 120],
    forecasted_thresholds=[100],
    sns_topic_arn=TOPIC,
    emails=["ops@example.com"],
)


@pytest.fixture
def make_module(fake_module):
    def make(check_mode=False, **params):
        return fake_module(dict(PARAMS, **params), check_mode=check_mode)

    return make


# What AWS Budgets must receive (CreateBudget's Budget, a Notification with its Subscribers), written
# out from the API reference rather than by the module's own plan functions.
NAME = "illustra-prod-monthly"
BUDGET_REQUEST = {
    "BudgetName": NAME,
    "BudgetLimit": {"Amount": "200", "Unit": "USD"},
    "TimeUnit": "MONTHLY",
    "BudgetType": "COST",
}


def _note(kind, threshold, email="ops@example.com"):
    return {
        "Notification": {
            "NotificationType": kind,
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": threshold,
            "ThresholdType": "PERCENTAGE",
        },
        "Subscribers": [
            {"SubscriptionType": "SNS", "Address": TOPIC},
            {"SubscriptionType": "EMAIL", "Address": email},
        ],
    }


def _notes(email="ops@example.com"):
    """PARAMS' four notifications: actual spend past 80, 100 and 120 %, forecast past 100 %."""
    return [
        _note("ACTUAL", 80.0, email),
        _note("ACTUAL", 100.0, email),
        _note("ACTUAL", 120.0, email),
        _note("FORECASTED", 100.0, email),
    ]


def _budget(amount="200.0"):
    return {
        "BudgetName": "illustra-prod-monthly",
        "BudgetLimit": {"Amount": amount, "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }


def _stub_read(client, budget, notes):
    params = {"AccountId": ACCOUNT, "BudgetName": "illustra-prod-monthly"}
    client.stub.add_response("describe_budget", {"Budget": budget}, params)
    client.stub.add_response(
        "describe_notifications_for_budget", {"Notifications": [n["Notification"] for n in notes]}, params
    )
    for n in notes:
        client.stub.add_response(
            "describe_subscribers_for_notification",
            {"Subscribers": n["Subscribers"]},
            dict(params, Notification=n["Notification"]),
        )


def test_missing_budget_reads_as_none(client):
    client.stub.add_client_error("describe_budget", "NotFoundException", "Unable to get budget")
    assert mod.get_budget(client, ACCOUNT, "nope") is None


def test_throttling_is_retried(client):
    client.stub.add_client_error("describe_budget", "ThrottlingException", "Rate exceeded")
    client.stub.add_response("describe_budget", {"Budget": _budget()})
    assert mod.get_budget(client, ACCOUNT, "illustra-prod-monthly")["BudgetLimit"]["Amount"] == "200.0"


def test_other_errors_surface(client):
    client.stub.add_client_error("describe_budget", "AccessDeniedException", "not allowed")
    with pytest.raises(AnsibleAWSError, match="Failed to describe the budget"):
        mod.get_budget(client, ACCOUNT, "illustra-prod-monthly")


def test_create_sends_budget_and_notifications_in_one_call(client, make_module):
    client.stub.add_client_error("describe_budget", "NotFoundException", "missing")
    client.stub.add_response(
        "create_budget",
        {},
        {"AccountId": ACCOUNT, "Budget": BUDGET_REQUEST, "NotificationsWithSubscribers": _notes()},
    )
    actions, before, after = mod.ensure_present(make_module(), client, ACCOUNT)
    assert actions == ["create_budget"]
    assert before == {} and after["limit_usd"] == 200.0 and len(after["notifications"]) == 4


def test_update_path_limit_and_subscribers(client, make_module):
    """A new limit goes through UpdateBudget; a changed e-mail list recreates each notification."""
    old = _notes("old@example.com")
    _stub_read(client, _budget("150.0"), old)
    client.stub.add_response("update_budget", {}, {"AccountId": ACCOUNT, "NewBudget": BUDGET_REQUEST})
    for n in old:
        client.stub.add_response(
            "delete_notification", {}, {"AccountId": ACCOUNT, "BudgetName": NAME, "Notification": n["Notification"]}
        )
    for n in _notes():
        client.stub.add_response(
            "create_notification",
            {},
            {
                "AccountId": ACCOUNT,
                "BudgetName": NAME,
                "Notification": n["Notification"],
                "Subscribers": n["Subscribers"],
            },
        )
    actions, before, after = mod.ensure_present(make_module(), client, ACCOUNT)
    assert actions[0] == "update_budget"
    assert actions.count("delete_notification ACTUAL 80.0") == 1 and len(actions) == 9
    assert before["limit_usd"] == 150.0 and after["limit_usd"] == 200.0


def test_check_mode_reads_only(client, make_module):
    old = _notes()[:2]
    _stub_read(client, _budget("150.0"), old)
    actions, _, _ = mod.ensure_present(make_module(check_mode=True), client, ACCOUNT)
    assert actions == ["update_budget", "create_notification ACTUAL 120.0", "create_notification FORECASTED 100.0"]


def test_nothing_to_do(client, make_module):
    _stub_read(client, _budget(), _notes())
    assert mod.ensure_present(make_module(), client, ACCOUNT)[0] == []


def test_absent_deletes(client, make_module):
    _stub_read(client, _budget(), [])
    client.stub.add_response("delete_budget", {}, {"AccountId": ACCOUNT, "BudgetName": "illustra-prod-monthly"})
    assert mod.ensure_absent(make_module(), client, ACCOUNT)[0] == ["delete_budget"]
