# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for an SNS topic with its display name, access policy, subscriptions and tags (no boto3 here).

A topic's state, from ListTopics, GetTopicAttributes, ListSubscriptionsByTopic and ListTagsForResource::

    arn, name, display_name, policy (a dict, or None), subscriptions [{protocol, endpoint, arn}], tags

A subscription not confirmed yet has the ARN ``PendingConfirmation``: SNS cannot unsubscribe it (it lapses after
three days unconfirmed), so purging leaves it. The plan is a list of ``(action, argument)`` tuples.
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

PENDING = "PendingConfirmation"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")


def validate(name, subscriptions):
    errors = []
    if not NAME.match(name):
        errors.append(f"name: {name!r} is not a topic name (1-256 of A-Za-z0-9 _ -)")
    for sub in subscriptions or []:
        if sub["protocol"] not in PROTOCOLS:
            errors.append(f"subscriptions: {sub['protocol']!r} is not an SNS protocol ({', '.join(PROTOCOLS)})")
        if sub["protocol"] in ("email", "email-json") and "@" not in sub["endpoint"]:
            errors.append(f"subscriptions: {sub['endpoint']!r} is not an e-mail address")
    return errors


def describe(arn, attributes, subscriptions, tags=None):
    """A topic's state from its ARN, GetTopicAttributes' Attributes, its subscriptions and tags (None: not read)."""
    policy = attributes.get("Policy")
    return dict(
        arn=arn,
        name=arn.rsplit(":", 1)[-1],
        display_name=attributes.get("DisplayName", ""),
        policy=json.loads(policy) if isinstance(policy, str) and policy else policy,
        subscriptions=sorted(
            (dict(protocol=s["Protocol"], endpoint=s["Endpoint"], arn=s["SubscriptionArn"]) for s in subscriptions),
            key=lambda s: (s["protocol"], s["endpoint"]),
        ),
        tags=tags,
    )


def _key(sub):
    return (sub["protocol"], sub["endpoint"])


def plan_present(
    current,
    name,
    display_name=None,
    policy=None,
    subscriptions=None,
    purge_subscriptions=True,
    tags=None,
    purge_tags=True,
):
    """Actions that make the topic (``current``: describe(), {} when missing) what is wanted."""
    wanted = {_key(s): s for s in subscriptions or []}
    if not current:
        actions = [("create", dict(name=name, display_name=display_name or "", policy=policy, tags=dict(tags or {})))]
        return actions + [("subscribe", dict(protocol=p, endpoint=e)) for p, e in sorted(wanted)]
    actions = []
    if display_name is not None and display_name != current["display_name"]:
        actions.append(("set_attribute", ("DisplayName", display_name)))
    if policy is not None and (current["policy"] is None or compare_policies(current["policy"], policy)):
        actions.append(("set_attribute", ("Policy", policy)))
    if subscriptions is not None:
        have = {_key(s): s for s in current["subscriptions"]}
        actions += [("subscribe", dict(protocol=p, endpoint=e)) for p, e in sorted(set(wanted) - set(have))]
        if purge_subscriptions:
            actions += [
                ("unsubscribe", have[key]) for key in sorted(set(have) - set(wanted)) if have[key]["arn"] != PENDING
            ]
    if tags is not None:
        to_set, to_unset = compare_aws_tags(current["tags"] or {}, tags, purge_tags)
        if to_set:
            actions.append(("tag", to_set))
        if to_unset:
            actions.append(("untag", sorted(to_unset)))
    return actions


def apply_plan(current, actions):
    """The topic after ``actions`` ({} when absent). New subscriptions show as pending, as e-mail ones are."""
    after = dict(current, subscriptions=list(current["subscriptions"])) if current else {}
    for action, arg in actions:
        if action == "create":
            after = dict(
                arn=None,
                name=arg["name"],
                display_name=arg["display_name"],
                policy=arg["policy"],
                subscriptions=[],
                tags=dict(arg["tags"]),
            )
        elif action == "set_attribute":
            after["display_name" if arg[0] == "DisplayName" else "policy"] = arg[1]
        elif action == "subscribe":
            after["subscriptions"] = sorted(after["subscriptions"] + [dict(arg, arn=PENDING)], key=_key)
        elif action == "unsubscribe":
            after["subscriptions"] = [s for s in after["subscriptions"] if s["arn"] != arg["arn"]]
        elif action == "tag":
            after["tags"] = dict(after["tags"] or {}, **arg)
        elif action == "untag":
            after["tags"] = {k: v for k, v in (after["tags"] or {}).items() if k not in arg}
        elif action == "delete":
            after = {}
    return after


def label(action, arg):
    if action == "create":
        return f"create {arg['name']}"
    if action == "set_attribute":
        return f"set {arg[0]}"
    if action in ("subscribe", "unsubscribe"):
        return f"{action} {arg['protocol']}:{arg['endpoint']}"
    if action in ("tag", "untag"):
        return f"{action} " + ",".join(sorted(arg) if action == "tag" else arg)
    return action
