#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: budget
short_description: Manage an AWS Budgets cost budget and its notifications
version_added: 0.1.0
description:
  - Creates, updates or deletes a cost budget with notifications at percentages of ACTUAL spend
    (by default 80%, 100% and 120%) and of FORECASTED spend (by default 100%), each sent to an SNS
    topic and to e-mail addresses.
  - A changed limit, period or cost filter is applied with C(UpdateBudget); a notification whose
    subscribers changed is deleted and created again (one call each), so no per-subscriber API is needed.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Budget name, unique in the account.
    type: str
    required: true
  state:
    description: Whether the budget exists.
    type: str
    choices: [present, absent]
    default: present
  limit_usd:
    description: The budget amount in USD per O(time_unit). Required when O(state=present).
    type: float
  time_unit:
    description: The budget period.
    type: str
    choices: [MONTHLY, QUARTERLY, ANNUALLY]
    default: MONTHLY
  cost_filters:
    description:
      - 'Cost filters, for example V({"TagKeyValue": ["user:Environment$prod"]}) (the tag must be activated
        as a cost allocation tag). Empty means the whole account.'
    type: dict
    default: {}
  actual_thresholds:
    description: Percentages of the limit at which ACTUAL spend notifies.
    type: list
    elements: float
    default: [80, 100, 120]
  forecasted_thresholds:
    description: Percentages of the limit at which FORECASTED spend notifies.
    type: list
    elements: float
    default: [100]
  sns_topic_arn:
    description: SNS topic that receives every notification (its policy must allow budgets.amazonaws.com to publish).
    type: str
  emails:
    description: E-mail addresses that receive every notification (at most 10).
    type: list
    elements: str
    default: []
  account_id:
    description: The account that owns the budget; read with STS when omitted.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows the budget and its notifications before and after.
"""

EXAMPLES = r"""
- name: Keep the environment's monthly budget with 80/100/120% and forecast alerts
  illustra.webstack.budget:
    name: illustra-prod-monthly
    limit_usd: 200
    sns_topic_arn: "{{ sns_topic_arn }}"
    emails: [ops@example.com]

- name: Remove the budget
  illustra.webstack.budget:
    name: illustra-dev-monthly
    state: absent
"""

RETURN = r"""
budget:
  description: The budget after the run (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: Budget name.
      type: str
      sample: illustra-prod-monthly
    limit_usd:
      description: The limit.
      type: float
      sample: 200.0
    time_unit:
      description: The period.
      type: str
      sample: MONTHLY
    budget_type:
      description: Always V(COST).
      type: str
    cost_filters:
      description: Cost filters.
      type: dict
    notifications:
      description: Notifications with their subscribers.
      type: list
      elements: dict
      sample: [{"type": "ACTUAL", "threshold": 80.0, "threshold_type": "PERCENTAGE",
                "subscribers": ["EMAIL:ops@example.com", "SNS:arn:aws:sns:us-east-1:123456789012:alerts"]}]
actions:
  description: The API calls made (or that would be made in check mode).
  returned: always
  type: list
  elements: str
  sample: ["update_budget", "delete_notification ACTUAL 80.0", "create_notification ACTUAL 80.0"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._budget import budget_differs
from ansible_collections.illustra.webstack.plugins.module_utils._budget import describe
from ansible_collections.illustra.webstack.plugins.module_utils._budget import desired_budget
from ansible_collections.illustra.webstack.plugins.module_utils._budget import desired_notifications
from ansible_collections.illustra.webstack.plugins.module_utils._budget import plan_notifications


class BudgetsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


_retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ThrottlingException"])


@BudgetsErrorHandler.list_error_handler("describe the budget")
def get_budget(client, account_id, name):
    return _retry(client.describe_budget)(AccountId=account_id, BudgetName=name)["Budget"]


@BudgetsErrorHandler.list_error_handler("list the budget's notifications", default_value=[])
def get_notifications(client, account_id, name):
    result = []
    kwargs = dict(AccountId=account_id, BudgetName=name)
    while True:
        page = _retry(client.describe_notifications_for_budget)(**kwargs)
        for notification in page.get("Notifications", []):
            subscribers = get_subscribers(client, account_id, name, notification)
            result.append({"Notification": notification, "Subscribers": subscribers})
        if not page.get("NextToken"):
            return result
        kwargs["NextToken"] = page["NextToken"]


def get_subscribers(client, account_id, name, notification):
    subscribers = []
    kwargs = dict(AccountId=account_id, BudgetName=name, Notification=notification)
    while True:
        page = _retry(client.describe_subscribers_for_notification)(**kwargs)
        subscribers.extend(page.get("Subscribers", []))
        if not page.get("NextToken"):
            return subscribers
        kwargs["NextToken"] = page["NextToken"]


@BudgetsErrorHandler.common_error_handler("create the budget")
def create_budget(client, account_id, budget, notifications):
    _retry(client.create_budget)(AccountId=account_id, Budget=budget, NotificationsWithSubscribers=notifications)


@BudgetsErrorHandler.common_error_handler("update the budget")
def update_budget(client, account_id, budget):
    _retry(client.update_budget)(AccountId=account_id, NewBudget=budget)


@BudgetsErrorHandler.deletion_error_handler("delete the budget")
def delete_budget(client, account_id, name):
    _retry(client.delete_budget)(AccountId=account_id, BudgetName=name)


@BudgetsErrorHandler.common_error_handler("delete a budget notification")
def delete_notification(client, account_id, name, notification):
    _retry(client.delete_notification)(AccountId=account_id, BudgetName=name, Notification=notification)


@BudgetsErrorHandler.common_error_handler("create a budget notification")
def create_notification(client, account_id, name, notification, subscribers):
    _retry(client.create_notification)(
        AccountId=account_id, BudgetName=name, Notification=notification, Subscribers=subscribers
    )


@BudgetsErrorHandler.common_error_handler("read the account id")
def get_account_id(module):
    return module.client("sts", retry_decorator=AWSRetry.jittered_backoff()).get_caller_identity(aws_retry=True)[
        "Account"
    ]


def _label(notification):
    return "{} {}".format(notification["NotificationType"], float(notification["Threshold"]))


def ensure_present(module, client, account_id):
    p = module.params
    name = p["name"]
    want_budget = desired_budget(name, p["limit_usd"], p["time_unit"], p["cost_filters"])
    want_notes = desired_notifications(
        p["actual_thresholds"], p["forecasted_thresholds"], p["sns_topic_arn"], p["emails"]
    )
    current = get_budget(client, account_id, name)
    current_notes = get_notifications(client, account_id, name) if current else []
    before = describe(current, current_notes)
    after_budget = dict(current or {}, **want_budget)
    after = describe(after_budget, want_notes)

    actions = []
    if current is None:
        actions.append("create_budget")
        if not module.check_mode:
            create_budget(client, account_id, want_budget, want_notes)
        return actions, before, after

    if budget_differs(want_budget, current):
        actions.append("update_budget")
        if not module.check_mode:
            update_budget(client, account_id, want_budget)
    to_delete, to_create = plan_notifications(want_notes, current_notes)
    for notification in to_delete:
        actions.append("delete_notification " + _label(notification))
        if not module.check_mode:
            delete_notification(client, account_id, name, notification)
    for item in to_create:
        actions.append("create_notification " + _label(item["Notification"]))
        if not module.check_mode:
            create_notification(client, account_id, name, item["Notification"], item["Subscribers"])
    return actions, before, after


def ensure_absent(module, client, account_id):
    name = module.params["name"]
    current = get_budget(client, account_id, name)
    if current is None:
        return [], {}, {}
    before = describe(current, get_notifications(client, account_id, name))
    if not module.check_mode:
        delete_budget(client, account_id, name)
    return ["delete_budget"], before, {}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        limit_usd=dict(type="float"),
        time_unit=dict(type="str", choices=["MONTHLY", "QUARTERLY", "ANNUALLY"], default="MONTHLY"),
        cost_filters=dict(type="dict", default={}),
        actual_thresholds=dict(type="list", elements="float", default=[80, 100, 120]),
        forecasted_thresholds=dict(type="list", elements="float", default=[100]),
        sns_topic_arn=dict(type="str"),
        emails=dict(type="list", elements="str", default=[]),
        account_id=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["limit_usd"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present":
        if p["limit_usd"] <= 0:
            module.fail_json(msg="limit_usd must be a positive amount of USD (got {})".format(p["limit_usd"]))
        if len(p["emails"]) > 10:
            module.fail_json(msg="emails: AWS Budgets allows at most 10 e-mail subscribers per notification")
        if not p["sns_topic_arn"] and not p["emails"]:
            module.warn("budget {}: no sns_topic_arn and no emails, the notifications reach nobody".format(p["name"]))

    client = module.client("budgets")
    try:
        account_id = p["account_id"] or get_account_id(module)
        if p["state"] == "present":
            actions, before, after = ensure_present(module, client, account_id)
        else:
            actions, before, after = ensure_absent(module, client, account_id)
        final = (
            after
            if module.check_mode
            else (
                describe(get_budget(client, account_id, p["name"]), get_notifications(client, account_id, p["name"]))
                if actions and p["state"] == "present"
                else after
            )
        )
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=bool(actions), budget=final, actions=actions)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
