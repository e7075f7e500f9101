# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Budgets: pure planning for the ``budget`` module (no boto3 here)."""


def desired_budget(name, limit_usd, time_unit="MONTHLY", cost_filters=None):
    budget = {
        "BudgetName": name,
        "BudgetLimit": {"Amount": _amount(limit_usd), "Unit": "USD"},
        "TimeUnit": time_unit,
        "BudgetType": "COST",
    }
    if cost_filters:
        budget["CostFilters"] = {k: sorted(v) for k, v in cost_filters.items()}
    return budget


def _amount(value):
    """Budgets returns the limit as a decimal string; normalise so 200, 200.0 and "200.0" compare equal."""
    text = f"{float(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def desired_notifications(actual_thresholds, forecasted_thresholds, sns_topic_arn, emails):
    """The notifications (with their subscribers) the budget must have, in a stable order."""
    subscribers = []
    if sns_topic_arn:
        subscribers.append({"SubscriptionType": "SNS", "Address": sns_topic_arn})
    subscribers.extend({"SubscriptionType": "EMAIL", "Address": e} for e in sorted(set(emails or [])))
    result = []
    for kind, thresholds in (("ACTUAL", actual_thresholds), ("FORECASTED", forecasted_thresholds)):
        for threshold in sorted(set(float(t) for t in thresholds or [])):
            result.append(
                {
                    "Notification": {
                        "NotificationType": kind,
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": threshold,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": list(subscribers),
                }
            )
    return result


def notification_key(notification):
    return (
        notification["NotificationType"],
        notification.get("ComparisonOperator", "GREATER_THAN"),
        float(notification["Threshold"]),
        notification.get("ThresholdType", "PERCENTAGE"),
    )


def _subscriber_set(subscribers):
    return sorted((s["SubscriptionType"], s["Address"]) for s in subscribers or [])


def budget_differs(desired, current):
    """Whether the existing budget's definition differs from the desired one (limit, period, type, filters)."""
    if current is None:
        return True
    if float(current.get("BudgetLimit", {}).get("Amount", "nan")) != float(desired["BudgetLimit"]["Amount"]):
        return True
    if current.get("BudgetLimit", {}).get("Unit") != desired["BudgetLimit"]["Unit"]:
        return True
    if current.get("TimeUnit") != desired["TimeUnit"] or current.get("BudgetType") != desired["BudgetType"]:
        return True
    current_filters = {k: sorted(v) for k, v in (current.get("CostFilters") or {}).items()}
    return current_filters != desired.get("CostFilters", {})


def plan_notifications(desired, current):
    """Notifications to delete and to create so the budget ends up with exactly ``desired``.

    ``current`` is a list of {"Notification": ..., "Subscribers": [...]} as read from AWS. A
    notification whose subscribers differ is deleted and created again: one delete and one create
    per notification instead of per-subscriber calls, and it works wherever the notification APIs do.
    Returns (to_delete, to_create); to_delete holds notifications as AWS returned them.
    """
    current_by_key = {notification_key(c["Notification"]): c for c in current}
    desired_by_key = {notification_key(d["Notification"]): d for d in desired}
    to_delete, to_create = [], []
    for key, cur in sorted(current_by_key.items()):
        want = desired_by_key.get(key)
        if want is None or _subscriber_set(want["Subscribers"]) != _subscriber_set(cur["Subscribers"]):
            to_delete.append(cur["Notification"])
    deleted = set(notification_key(n) for n in to_delete)
    for key, want in sorted(desired_by_key.items()):
        if key not in current_by_key or key in deleted:
            to_create.append(want)
    return to_delete, to_create


def describe(budget, notifications):
    """The snake_case view returned by the module and used for diff."""
    if budget is None:
        return {}
    return {
        "name": budget["BudgetName"],
        "limit_usd": float(budget["BudgetLimit"]["Amount"]),
        "time_unit": budget.get("TimeUnit"),
        "budget_type": budget.get("BudgetType"),
        "cost_filters": budget.get("CostFilters") or {},
        "notifications": [
            {
                "type": n["Notification"]["NotificationType"],
                "threshold": float(n["Notification"]["Threshold"]),
                "threshold_type": n["Notification"].get("ThresholdType", "PERCENTAGE"),
                "subscribers": [f"{t}:{a}" for t, a in _subscriber_set(n["Subscribers"])],
            }
            for n in sorted(notifications, key=lambda n: notification_key(n["Notification"]))
        ],
    }
