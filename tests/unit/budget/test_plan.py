"""budget: pure planning of the budget definition and its notifications."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _budget as plan

TOPIC = "arn:aws:sns:us-east-1:123456789012:illustra-prod-alerts"


def _notes(emails=("ops@example.com",), actual=(80, 100, 120), forecast=(100,)):
    return plan.desired_notifications(list(actual), list(forecast), TOPIC, list(emails))


def test_desired_notifications_are_80_100_120_actual_and_100_forecasted_to_sns_and_email():
    notes = _notes()
    assert [(n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notes] == [
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("ACTUAL", 120.0),
        ("FORECASTED", 100.0),
    ]
    assert all(n["Notification"]["ThresholdType"] == "PERCENTAGE" for n in notes)
    assert notes[0]["Subscribers"] == [
        {"SubscriptionType": "SNS", "Address": TOPIC},
        {"SubscriptionType": "EMAIL", "Address": "ops@example.com"},
    ]


@pytest.mark.parametrize(
    ("current", "differs"),
    [
        (None, True),
        ({"BudgetLimit": {"Amount": "200.0", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}, False),
        ({"BudgetLimit": {"Amount": "200", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}, False),
        ({"BudgetLimit": {"Amount": "250", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}, True),
        ({"BudgetLimit": {"Amount": "200", "Unit": "USD"}, "TimeUnit": "ANNUALLY", "BudgetType": "COST"}, True),
        (
            {
                "BudgetLimit": {"Amount": "200", "Unit": "USD"},
                "TimeUnit": "MONTHLY",
                "BudgetType": "COST",
                "CostFilters": {"TagKeyValue": ["user:Environment$prod"]},
            },
            True,
        ),
    ],
)
def test_budget_differs(current, differs):
    assert plan.budget_differs(plan.desired_budget("b", 200), current) is differs


def test_no_change_when_notifications_match():
    want = _notes()
    assert plan.plan_notifications(want, want) == ([], [])


def test_missing_and_extra_notifications():
    want = _notes(actual=(80, 100))
    current = _notes(actual=(100, 150))
    to_delete, to_create = plan.plan_notifications(want, current)
    assert [n["Threshold"] for n in to_delete] == [150.0]
    assert [n["Notification"]["Threshold"] for n in to_create] == [80.0]


def test_changed_subscribers_recreate_the_notification():
    want = _notes(emails=("ops@example.com", "new@example.com"), actual=(80,), forecast=())
    current = _notes(actual=(80,), forecast=())
    to_delete, to_create = plan.plan_notifications(want, current)
    assert to_delete == [current[0]["Notification"]]
    assert to_create == want


def test_threshold_spelling_does_not_matter():
    current = [
        {"Notification": dict(_notes()[0]["Notification"], Threshold=80), "Subscribers": _notes()[0]["Subscribers"]}
    ]
    assert plan.plan_notifications(_notes(actual=(80,), forecast=()), current) == ([], [])


def test_describe_is_sorted_snake_case():
    view = plan.describe(plan.desired_budget("b", 75), list(reversed(_notes())))
    assert view["limit_usd"] == 75.0
    assert [n["threshold"] for n in view["notifications"]] == [80.0, 100.0, 120.0, 100.0]
    assert view["notifications"][0]["subscribers"] == ["EMAIL:ops@example.com", "SNS:" + TOPIC]
    assert plan.describe(None, []) == {}
