# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and API helpers for the elbv2_web_alb module.

Layer 1 (API wrappers, retried and error-handled) and layer 2 (pure planning functions: desired
state + current state -> actions). The module's main() only glues them together.
"""

from __future__ import annotations

import copy

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SECRET_MASK = "********"

# Attribute defaults as AWS reports them for a new ALB (moto omits some; a missing key means default).
LB_ATTRIBUTE_DEFAULTS = {
    "deletion_protection.enabled": "false",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
}

TG_ATTRIBUTE_DEFAULTS = {
    "deregistration_delay.timeout_seconds": "300",
}


class AnsibleWebAlbError(AnsibleAWSError):
    pass


class ELBv2Handler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleWebAlbError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound"])


# ---------------------------------------------------------------------------------------------
# Layer 1: API wrappers
# ---------------------------------------------------------------------------------------------


@ELBv2Handler.list_error_handler("describe load balancer", default_value=None)
@AWSRetry.jittered_backoff()
def describe_load_balancer(client, name):
    lbs = client.describe_load_balancers(Names=[name])["LoadBalancers"]
    return lbs[0] if lbs else None


@ELBv2Handler.list_error_handler("describe target group", default_value=None)
@AWSRetry.jittered_backoff()
def describe_target_group(client, name):
    tgs = client.describe_target_groups(Names=[name])["TargetGroups"]
    return tgs[0] if tgs else None


@ELBv2Handler.list_error_handler("describe load balancer attributes", default_value={})
@AWSRetry.jittered_backoff()
def describe_lb_attributes(client, arn):
    attrs = client.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attrs}


@ELBv2Handler.list_error_handler("describe target group attributes", default_value={})
@AWSRetry.jittered_backoff()
def describe_tg_attributes(client, arn):
    attrs = client.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in attrs}


@ELBv2Handler.list_error_handler("describe listeners", default_value=[])
@AWSRetry.jittered_backoff()
def describe_listeners(client, lb_arn):
    paginator = client.get_paginator("describe_listeners")
    return paginator.paginate(LoadBalancerArn=lb_arn).build_full_result()["Listeners"]


@ELBv2Handler.list_error_handler("describe listener rules", default_value=[])
@AWSRetry.jittered_backoff()
def describe_rules(client, listener_arn):
    return client.describe_rules(ListenerArn=listener_arn)["Rules"]


@ELBv2Handler.list_error_handler("describe tags", default_value={})
@AWSRetry.jittered_backoff()
def describe_tags(client, arns):
    """Tags of several resources in one call: {arn: {key: value}}."""
    if not arns:
        return {}
    descs = client.describe_tags(ResourceArns=list(arns))["TagDescriptions"]
    return {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d.get("Tags", [])} for d in descs}


@ELBv2Handler.common_error_handler("create load balancer")
@AWSRetry.jittered_backoff()
def create_load_balancer(client, **kwargs):
    return client.create_load_balancer(**kwargs)["LoadBalancers"][0]


@ELBv2Handler.common_error_handler("modify load balancer attributes")
@AWSRetry.jittered_backoff()
def modify_lb_attributes(client, arn, attributes):
    client.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(attributes.items())]
    )


@ELBv2Handler.common_error_handler("set security groups")
@AWSRetry.jittered_backoff()
def set_security_groups(client, arn, groups):
    client.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(groups))


@ELBv2Handler.common_error_handler("set subnets")
@AWSRetry.jittered_backoff()
def set_subnets(client, arn, subnets):
    client.set_subnets(LoadBalancerArn=arn, Subnets=list(subnets))


@ELBv2Handler.common_error_handler("create target group")
@AWSRetry.jittered_backoff()
def create_target_group(client, **kwargs):
    return client.create_target_group(**kwargs)["TargetGroups"][0]


@ELBv2Handler.common_error_handler("modify target group")
@AWSRetry.jittered_backoff()
def modify_target_group(client, arn, **kwargs):
    client.modify_target_group(TargetGroupArn=arn, **kwargs)


@ELBv2Handler.common_error_handler("modify target group attributes")
@AWSRetry.jittered_backoff()
def modify_tg_attributes(client, arn, attributes):
    client.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(attributes.items())]
    )


@ELBv2Handler.common_error_handler("create listener")
@AWSRetry.jittered_backoff()
def create_listener(client, **kwargs):
    return client.create_listener(**kwargs)["Listeners"][0]


@ELBv2Handler.common_error_handler("modify listener")
@AWSRetry.jittered_backoff()
def modify_listener(client, arn, **kwargs):
    client.modify_listener(ListenerArn=arn, **kwargs)


@ELBv2Handler.deletion_error_handler("delete listener")
@AWSRetry.jittered_backoff()
def delete_listener(client, arn):
    client.delete_listener(ListenerArn=arn)
    return True


@ELBv2Handler.common_error_handler("create listener rule")
@AWSRetry.jittered_backoff()
def create_rule(client, **kwargs):
    client.create_rule(**kwargs)


@ELBv2Handler.common_error_handler("delete listener rule")
@AWSRetry.jittered_backoff()
def delete_rule(client, arn):
    client.delete_rule(RuleArn=arn)


@ELBv2Handler.common_error_handler("tag resource")
@AWSRetry.jittered_backoff()
def add_tags(client, arn, tags):
    client.add_tags(ResourceArns=[arn], Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@ELBv2Handler.common_error_handler("untag resource")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn, keys):
    client.remove_tags(ResourceArns=[arn], TagKeys=list(keys))


@ELBv2Handler.deletion_error_handler("delete load balancer")
@AWSRetry.jittered_backoff()
def delete_load_balancer(client, arn):
    client.delete_load_balancer(LoadBalancerArn=arn)
    client.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[arn])
    return True


@ELBv2Handler.deletion_error_handler("delete target group")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ResourceInUse"])
def delete_target_group(client, arn):
    client.delete_target_group(TargetGroupArn=arn)
    return True


# ---------------------------------------------------------------------------------------------
# Layer 2: pure planning functions
# ---------------------------------------------------------------------------------------------


def _bool(value):
    return "true" if value else "false"


def desired_lb_attributes(params):
    """The load balancer attributes the module manages, as AWS strings."""
    attrs = {
        "deletion_protection.enabled": _bool(params["deletion_protection"]),
        "routing.http.drop_invalid_header_fields.enabled": _bool(params["drop_invalid_header_fields"]),
        "idle_timeout.timeout_seconds": str(params["idle_timeout"]),
    }
    logs = params.get("access_logs") or {}
    if logs.get("bucket"):
        attrs.update(
            {
                "access_logs.s3.enabled": "true",
                "access_logs.s3.bucket": logs["bucket"],
                "access_logs.s3.prefix": logs.get("prefix") or "",
            }
        )
    else:
        attrs["access_logs.s3.enabled"] = "false"
    return attrs


def attribute_changes(current, desired, defaults):
    """The attributes whose current value (a missing key counts as the AWS default) differs."""
    changes = {}
    for key, value in desired.items():
        if current.get(key, defaults.get(key)) != value:
            changes[key] = value
    return changes


def desired_target_group(tg):
    """create_target_group/modify_target_group parameters for the target group options."""
    return {
        "Protocol": tg["protocol"],
        "Port": tg["port"],
        "HealthCheckProtocol": tg["protocol"],
        "HealthCheckPath": tg["health_check_path"],
        "HealthCheckIntervalSeconds": tg["health_check_interval"],
        "HealthCheckTimeoutSeconds": tg["health_check_timeout"],
        "HealthyThresholdCount": tg["healthy_threshold"],
        "UnhealthyThresholdCount": tg["unhealthy_threshold"],
        "Matcher": {"HttpCode": tg["matcher"]},
    }


# Settings that cannot change on an existing target group: a difference means replacing it.
TG_IMMUTABLE = ("Protocol", "Port")


def target_group_changes(current, desired):
    """(modifiable changes, immutable keys that differ) between a described target group and desired."""
    changes = {}
    immutable = []
    for key, value in desired.items():
        if current.get(key) != value:
            if key in TG_IMMUTABLE:
                immutable.append(key)
            else:
                changes[key] = value
    return changes, immutable


def desired_listeners(params, tg_arn):
    """{port: listener spec} for the listeners the ALB must have.

    With a certificate: HTTPS on 443 (modern TLS policy) forwarding to the target group, and HTTP on
    80 answering 301 to HTTPS. Without one: HTTP on 80 only. When an origin-verify header is set the
    forwarding listener answers 403 by default and forwards only requests that carry the header
    (see desired_rules); this is how an HTTP-only ALB is kept reachable only through CloudFront.
    """
    forward = {"Type": "forward", "TargetGroupArn": tg_arn}
    deny = {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "403", "ContentType": "text/plain", "MessageBody": "Forbidden"},
    }
    main_action = deny if params.get("origin_verify_header") else forward
    if params.get("certificate_arn"):
        return {
            443: {
                "Protocol": "HTTPS",
                "Port": 443,
                "SslPolicy": params["ssl_policy"],
                "Certificates": [{"CertificateArn": params["certificate_arn"]}],
                "DefaultActions": [main_action],
            },
            80: {
                "Protocol": "HTTP",
                "Port": 80,
                "DefaultActions": [
                    {
                        "Type": "redirect",
                        "RedirectConfig": {
                            "Protocol": "HTTPS",
                            "Port": "443",
                            "Host": "#{host}",
                            "Path": "/#{path}",
                            "Query": "#{query}",
                            "StatusCode": "HTTP_301",
                        },
                    }
                ],
            },
        }
    return {80: {"Protocol": "HTTP", "Port": 80, "DefaultActions": [main_action]}}


def _normalize_action(action):
    kind = action["Type"]
    if kind == "forward":
        arn = action.get("TargetGroupArn")
        if not arn:
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or [{}]
            arn = groups[0].get("TargetGroupArn")
        return {"Type": kind, "TargetGroupArn": arn}
    if kind == "redirect":
        cfg = action.get("RedirectConfig") or {}
        keys = ("Protocol", "Port", "Host", "Path", "Query", "StatusCode")
        return {"Type": kind, "RedirectConfig": {k: cfg.get(k) for k in keys}}
    if kind == "fixed-response":
        cfg = action.get("FixedResponseConfig") or {}
        keys = ("StatusCode", "ContentType", "MessageBody")
        return {"Type": kind, "FixedResponseConfig": {k: cfg.get(k) for k in keys}}
    return {k: v for k, v in action.items() if k != "Order"}


def normalize_listener(listener):
    """The comparable part of a listener (described or desired)."""
    out = {
        "Protocol": listener["Protocol"],
        "Port": listener["Port"],
        "DefaultActions": [_normalize_action(a) for a in listener.get("DefaultActions", [])],
    }
    if listener["Protocol"] == "HTTPS":
        out["SslPolicy"] = listener.get("SslPolicy")
        out["Certificates"] = sorted(c["CertificateArn"] for c in listener.get("Certificates", []))
    return out


def plan_listeners(current, desired):
    """Actions to turn the current listeners into the desired ones.

    Returns {"create": [spec], "modify": [(arn, spec)], "delete": [arn]}.
    """
    plan = {"create": [], "modify": [], "delete": []}
    by_port = {listener["Port"]: listener for listener in current}
    for port, spec in sorted(desired.items()):
        have = by_port.pop(port, None)
        if have is None:
            plan["create"].append(spec)
        elif normalize_listener(have) != normalize_listener(spec):
            plan["modify"].append((have["ListenerArn"], spec))
    plan["delete"] = [listener["ListenerArn"] for listener in sorted(by_port.values(), key=lambda x: x["Port"])]
    return plan


def desired_rules(params, tg_arn):
    """The non-default rules of the forwarding listener: forward only with the origin-verify header."""
    header = params.get("origin_verify_header")
    if not header:
        return []
    return [
        {
            "Priority": 1,
            "Conditions": [
                {
                    "Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": header["name"], "Values": [header["value"]]},
                }
            ],
            "Actions": [{"Type": "forward", "TargetGroupArn": tg_arn}],
        }
    ]


def _normalize_rule(rule):
    conditions = []
    for cond in rule.get("Conditions", []):
        if cond.get("Field") == "http-header":
            cfg = cond.get("HttpHeaderConfig") or {}
            conditions.append(
                ("http-header", cfg.get("HttpHeaderName", "").lower(), tuple(sorted(cfg.get("Values", []))))
            )
        else:
            conditions.append((cond.get("Field"), repr(cond)))
    return {
        "Priority": str(rule.get("Priority")),
        "Conditions": sorted(conditions),
        "Actions": [_normalize_action(a) for a in rule.get("Actions", [])],
    }


def plan_rules(current, desired):
    """(rules to delete (arns), rules to create (specs)); a rule that differs is replaced."""
    current = [r for r in current if not r.get("IsDefault")]
    wanted = {_normalize_rule(r)["Priority"]: r for r in desired}
    delete, create = [], []
    for rule in current:
        want = wanted.get(str(rule["Priority"]))
        if want is None or _normalize_rule(rule) != _normalize_rule(want):
            delete.append(rule["RuleArn"])
    kept = {str(r["Priority"]) for r in current if r["RuleArn"] not in delete}
    for priority, rule in sorted(wanted.items()):
        if priority not in kept:
            create.append(rule)
    return delete, create


def mask_listener(spec):
    """A listener/rule spec safe to show in diffs and results (the origin secret masked)."""
    spec = copy.deepcopy(spec)
    for cond in spec.get("Conditions", []):
        cfg = cond.get("HttpHeaderConfig")
        if cfg:
            cfg["Values"] = [SECRET_MASK] * len(cfg.get("Values", []))
    return spec


def sets_differ(current, desired):
    return sorted(set(current or [])) != sorted(set(desired or []))
