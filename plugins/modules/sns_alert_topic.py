#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: sns_alert_topic
short_description: Manage an SNS topic with its display name, access policy, subscriptions and tags
version_added: 0.1.0
description:
  - Creates, updates or deletes a standard SNS topic - its display name, access policy, subscriptions (e-mail
    addresses for alerts) and tags - in one task, with check mode for a topic that does not exist yet.
  - Subscriptions are compared by protocol and endpoint. A new e-mail subscription stays pending until its
    recipient confirms it; a pending subscription cannot be removed (SNS drops it after three days unconfirmed).
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: The topic's name.
    type: str
    required: true
  display_name:
    description: The display name (the sender name of e-mail notifications). Left as it is when omitted.
    type: str
  policy:
    description:
      - The topic's access policy (a dict or a JSON string), compared as a policy. Left as it is when omitted (a new
        topic gets SNS's default policy).
    type: json
  subscriptions:
    description: The subscriptions. Left as they are when omitted.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: The protocol, for example V(email).
        type: str
        required: true
      endpoint:
        description: Where notifications go, for example an e-mail address.
        type: str
        required: true
  purge_subscriptions:
    description: Remove the confirmed subscriptions that O(subscriptions) does not name.
    type: bool
    default: true
  state:
    description: Whether the topic exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing (a topic that does not exist yet included).
  diff_mode:
    support: full
    description: Shows the topic's display name, policy, subscriptions and tags before and after.
"""

EXAMPLES = r"""
- name: Keep the alert topic and its e-mail subscriptions
  illustra.webstack.sns_alert_topic:
    name: illustra-prod-alerts
    display_name: illustra prod alerts
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Service: [budgets.amazonaws.com, cloudwatch.amazonaws.com]}
          Action: SNS:Publish
          Resource: "*"
    subscriptions:
      - {protocol: email, endpoint: ops@example.com}
    tags:
      Project: illustra
  register: topic
"""

RETURN = r"""
topic:
  description: The topic after the run (empty when absent).
  returned: always
  type: dict
  contains:
    arn:
      description: The topic's ARN (null in check mode when it would be created).
      type: str
    name:
      description: Its name.
      type: str
    display_name:
      description: Its display name.
      type: str
    policy:
      description: Its access policy.
      type: dict
    subscriptions:
      description: Its subscriptions (the ARN of an unconfirmed one is V(PendingConfirmation)).
      type: list
      elements: dict
    tags:
      description: Its tags (null when O(tags) is omitted, as they were not read).
      type: dict
actions:
  description: The changes made (or that would be made in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create illustra-prod-alerts", "subscribe email:ops@example.com"]
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._sns_topic import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._sns_topic import describe
from ansible_collections.illustra.webstack.plugins.module_utils._sns_topic import label
from ansible_collections.illustra.webstack.plugins.module_utils._sns_topic import plan_present
from ansible_collections.illustra.webstack.plugins.module_utils._sns_topic import validate
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


class SNSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NotFound", "ResourceNotFound"])


# SNS throttles with Throttled (not in AWSRetry's default list).
_retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["Throttled", "ThrottlingException"])


@SNSErrorHandler.common_error_handler("list the topics")
@_retry
def find_topic_arn(client, name):
    for page in client.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
    return None


@SNSErrorHandler.list_error_handler("read the topic's attributes")
@_retry
def get_attributes(client, arn):
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


@SNSErrorHandler.list_error_handler("list the topic's subscriptions", [])
@_retry
def list_subscriptions(client, arn):
    return [
        s
        for page in client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        for s in page.get("Subscriptions", [])
    ]


@SNSErrorHandler.common_error_handler("create the topic")
@_retry
def create_topic(client, arg):
    attributes = {}
    if arg["display_name"]:
        attributes["DisplayName"] = arg["display_name"]
    if arg["policy"] is not None:
        attributes["Policy"] = json.dumps(arg["policy"])
    kwargs = dict(Name=arg["name"], Attributes=attributes)
    if arg["tags"]:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(arg["tags"])
    return client.create_topic(**kwargs)["TopicArn"]


@SNSErrorHandler.common_error_handler("set a topic attribute")
@_retry
def set_attribute(client, arn, name, value):
    client.set_topic_attributes(
        TopicArn=arn, AttributeName=name, AttributeValue=value if isinstance(value, str) else json.dumps(value)
    )


@SNSErrorHandler.common_error_handler("subscribe to the topic")
@_retry
def subscribe(client, arn, sub):
    return client.subscribe(TopicArn=arn, Protocol=sub["protocol"], Endpoint=sub["endpoint"]).get("SubscriptionArn")


@SNSErrorHandler.deletion_error_handler("unsubscribe from the topic")
@_retry
def unsubscribe(client, sub_arn):
    client.unsubscribe(SubscriptionArn=sub_arn)


@SNSErrorHandler.common_error_handler("tag the topic")
@_retry
def tag_topic(client, arn, tags):
    client.tag_resource(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@SNSErrorHandler.common_error_handler("untag the topic")
@_retry
def untag_topic(client, arn, keys):
    client.untag_resource(ResourceArn=arn, TagKeys=keys)


@SNSErrorHandler.deletion_error_handler("delete the topic")
@_retry
def delete_topic(client, arn):
    client.delete_topic(TopicArn=arn)


def read(client, name, manage_subscriptions, manage_tags):
    arn = find_topic_arn(client, name)
    if arn is None:
        return {}
    attributes = get_attributes(client, arn)
    if attributes is None:  # deleted between the list and the read
        return {}
    subscriptions = list_subscriptions(client, arn) if manage_subscriptions else []
    tags = get_tags(client, arn) if manage_tags else None
    return describe(arn, attributes, subscriptions, tags)


def apply_actions(client, current, actions):
    """Make the planned calls; returns the topic's ARN (the new one after a create) and the new subscriptions' ARNs."""
    arn, subscribed = (current or {}).get("arn"), {}
    for action, arg in actions:
        if action == "create":
            arn = create_topic(client, arg)
        elif action == "set_attribute":
            set_attribute(client, arn, *arg)
        elif action == "subscribe":
            subscribed[(arg["protocol"], arg["endpoint"])] = subscribe(client, arn, arg)
        elif action == "unsubscribe":
            unsubscribe(client, arg["arn"])
        elif action == "tag":
            tag_topic(client, arn, arg)
        elif action == "untag":
            untag_topic(client, arn, arg)
        elif action == "delete":
            delete_topic(client, arn)
    return arn, subscribed


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            display_name=dict(type="str"),
            policy=dict(type="json"),
            subscriptions=dict(
                type="list",
                elements="dict",
                options=dict(protocol=dict(type="str", required=True), endpoint=dict(type="str", required=True)),
            ),
            purge_subscriptions=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = validate(p["name"], p["subscriptions"])
    policy = None
    if p["policy"] is not None:
        try:
            policy = json.loads(p["policy"]) if isinstance(p["policy"], str) else p["policy"]
        except ValueError as e:
            errors.append(f"policy is not valid JSON: {e}")
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("sns")
    try:
        present = p["state"] == "present"
        current = read(client, p["name"], present and p["subscriptions"] is not None, present and p["tags"] is not None)
        if present:
            actions = plan_present(
                current,
                p["name"],
                p["display_name"],
                policy,
                p["subscriptions"],
                p["purge_subscriptions"],
                p["tags"],
                p["purge_tags"],
            )
        else:
            actions = [("delete", current["arn"])] if current else []
        after = apply_plan(current, actions)
        if actions and not module.check_mode:
            arn, subscribed = apply_actions(client, current, actions)
            if after:
                after["arn"] = arn
                for sub in after["subscriptions"]:
                    new = subscribed.get((sub["protocol"], sub["endpoint"])) or ""
                    sub["arn"] = new if new.startswith("arn:") else sub["arn"]  # else still pending confirmation
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=bool(actions), topic=after, actions=[label(a, arg) for a, arg in actions])
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
