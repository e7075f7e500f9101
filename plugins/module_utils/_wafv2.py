# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""WAFv2 web ACLs built from AWS managed rule groups: API wrappers and pure planning functions."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._compare import is_subset

RETRY = AWSRetry.jittered_backoff(
    retries=8,
    delay=1,
    catch_extra_error_codes=["WAFInternalErrorException", "WAFUnavailableEntityException", "ThrottlingException"],
)

DEFAULT_MANAGED_RULE_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
]


class AnsibleWAFv2Error(AnsibleAWSError):
    pass


class WAFv2ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleWAFv2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("WAFNonexistentItemException")


def _visibility(metric):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric[:128]}


def _header_absent(name):
    """A statement that matches requests without the header `name`."""
    present = {
        "SizeConstraintStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": name.lower()}},
            "ComparisonOperator": "GT",
            "Size": 0,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    return {"NotStatement": {"Statement": present}}


def build_rules(metric_prefix, mode, managed_rule_groups, rate_limit, forwarded_ip_header=None):
    """The ACL's rules: each managed group (count or enforce), then the per-client rate limit.

    Behind CloudFront (`forwarded_ip_header`, X-Forwarded-For) the connection's address is an edge's, shared
    by every viewer it serves, so one rule counts the viewer's address from the header, and a second counts
    the connection's address only for requests without the header (clients that reach the origin directly).
    FallbackBehavior MATCH: a header that holds no valid address gets the rule's action (blocked, or counted
    in count mode) rather than slipping through; AWS applies a forwarded-IP rate rule only to requests that
    carry the header, hence the second rule.
    """
    rules = []
    for priority, group in enumerate(managed_rule_groups):
        rules.append(
            {
                "Name": f"AWS-{group}",
                "Priority": priority,
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
                "OverrideAction": {"Count": {}} if mode == "count" else {"None": {}},
                "VisibilityConfig": _visibility(f"{metric_prefix}-{group}"),
            }
        )
    if not rate_limit:
        return rules
    action = {"Count": {}} if mode == "count" else {"Block": {}}
    per_ip = {"Limit": int(rate_limit), "AggregateKeyType": "IP"}
    if forwarded_ip_header:
        rules.append(
            {
                "Name": "rate-limit-per-forwarded-ip",
                "Priority": len(rules),
                "Statement": {
                    "RateBasedStatement": {
                        "Limit": int(rate_limit),
                        "AggregateKeyType": "FORWARDED_IP",
                        "ForwardedIPConfig": {"HeaderName": forwarded_ip_header, "FallbackBehavior": "MATCH"},
                    }
                },
                "Action": action,
                "VisibilityConfig": _visibility(f"{metric_prefix}-rate-limit-forwarded"),
            }
        )
        per_ip["ScopeDownStatement"] = _header_absent(forwarded_ip_header)
    rules.append(
        {
            "Name": "rate-limit-per-ip",
            "Priority": len(rules),
            "Statement": {"RateBasedStatement": per_ip},
            "Action": action,
            "VisibilityConfig": _visibility(f"{metric_prefix}-rate-limit"),
        }
    )
    return rules


def build_acl(name, description, *, metric_prefix, mode, managed_rule_groups, rate_limit, forwarded_ip_header=None):
    return {
        "Name": name,
        "Description": description,
        "DefaultAction": {"Allow": {}},
        "Rules": build_rules(metric_prefix, mode, managed_rule_groups, rate_limit, forwarded_ip_header),
        "VisibilityConfig": _visibility(metric_prefix),
    }


def acl_differs(desired, current):
    """Whether the managed fields of the ACL differ (rules compared in priority order)."""
    current = dict(current, Rules=sorted(current.get("Rules") or [], key=lambda r: r.get("Priority", 0)))
    for key in ("DefaultAction", "Rules", "VisibilityConfig", "Description"):
        if not is_subset(desired[key], current.get(key)):
            return True
    # A default action we do not want (Block) alongside Allow is a difference too.
    return set((current.get("DefaultAction") or {}).keys()) != set(desired["DefaultAction"].keys())


def summary(acl, tags):
    if not acl:
        return {}
    return {
        "name": acl.get("Name"),
        "id": acl.get("Id"),
        "arn": acl.get("ARN"),
        "default_action": list((acl.get("DefaultAction") or {}).keys()),
        "rules": [
            {
                "name": r["Name"],
                "priority": r.get("Priority"),
                "action": list((r.get("Action") or r.get("OverrideAction") or {}).keys()),
            }
            for r in sorted(acl.get("Rules") or [], key=lambda r: r.get("Priority", 0))
        ],
        "tags": tags,
    }


@WAFv2ErrorHandler.list_error_handler("list web ACLs", [])
@RETRY
def list_web_acls(client, scope):
    acls, marker = [], None
    while True:
        kwargs = {"Scope": scope, "Limit": 100}
        if marker:
            kwargs["NextMarker"] = marker
        resp = client.list_web_acls(**kwargs)
        acls.extend(resp.get("WebACLs", []))
        marker = resp.get("NextMarker")
        if not marker or not resp.get("WebACLs"):
            return acls


@WAFv2ErrorHandler.list_error_handler("get web ACL")
@RETRY
def get_web_acl(client, name, scope, acl_id):
    resp = client.get_web_acl(Name=name, Scope=scope, Id=acl_id)
    return resp["WebACL"], resp["LockToken"]


@WAFv2ErrorHandler.common_error_handler("create web ACL")
@RETRY
def create_web_acl(client, acl, scope, tags):
    kwargs = dict(acl, Scope=scope)
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return client.create_web_acl(**kwargs)["Summary"]


@WAFv2ErrorHandler.common_error_handler("update web ACL")
@RETRY
def update_web_acl(client, acl, scope, acl_id, lock_token):
    return client.update_web_acl(Scope=scope, Id=acl_id, LockToken=lock_token, **acl)


@WAFv2ErrorHandler.common_error_handler("tag web ACL")
@RETRY
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@WAFv2ErrorHandler.common_error_handler("untag web ACL")
@RETRY
def untag_resource(client, arn, keys):
    client.untag_resource(ResourceARN=arn, TagKeys=sorted(keys))


@WAFv2ErrorHandler.deletion_error_handler("delete web ACL")
@RETRY
def delete_web_acl(client, name, scope, acl_id, lock_token):
    client.delete_web_acl(Name=name, Scope=scope, Id=acl_id, LockToken=lock_token)
    return True


def log_group_arn(acl_arn, log_group_name):
    """The ARN of a CloudWatch Logs log group in the web ACL's account and Region (WAF logs there)."""
    partition, region, account = acl_arn.split(":")[1], acl_arn.split(":")[3], acl_arn.split(":")[4]
    return f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_name}"


@WAFv2ErrorHandler.list_error_handler("get the logging configuration", None)
@RETRY
def get_logging_configuration(client, acl_arn):
    return client.get_logging_configuration(ResourceArn=acl_arn)["LoggingConfiguration"]


@WAFv2ErrorHandler.common_error_handler("put the logging configuration")
@RETRY
def put_logging_configuration(client, acl_arn, destination_arn):
    client.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl_arn, "LogDestinationConfigs": [destination_arn]}
    )


@WAFv2ErrorHandler.deletion_error_handler("delete the logging configuration")
@RETRY
def delete_logging_configuration(client, acl_arn):
    client.delete_logging_configuration(ResourceArn=acl_arn)
    return True


@WAFv2ErrorHandler.list_error_handler("get the web ACL of a resource")
@RETRY
def get_web_acl_for_resource(client, resource_arn):
    return client.get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL")


@WAFv2ErrorHandler.common_error_handler("associate web ACL")
@RETRY
def associate(client, acl_arn, resource_arn):
    client.associate_web_acl(WebACLArn=acl_arn, ResourceArn=resource_arn)


@WAFv2ErrorHandler.deletion_error_handler("disassociate web ACL")
@RETRY
def disassociate(client, resource_arn):
    client.disassociate_web_acl(ResourceArn=resource_arn)
    return True


def plan_association(current_acl_arn, desired_acl_arn, state):
    """'associate', 'disassociate' or None for a resource whose ACL is `current_acl_arn`."""
    if state == "absent":
        return (
            "disassociate" if current_acl_arn and (not desired_acl_arn or current_acl_arn == desired_acl_arn) else None
        )
    return None if current_acl_arn == desired_acl_arn else "associate"
