#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: elbv2_web_alb
version_added: 0.1.0
short_description: Manage a web application load balancer, its target group and listeners in one call
description:
  - Creates, updates or deletes an internet-facing Application Load Balancer together with its one
    target group, its listeners (HTTPS with a modern TLS policy and HTTP to HTTPS 301 when a certificate
    is given, HTTP otherwise), its attributes (deletion protection, dropping invalid header fields,
    idle timeout, access logs), its tags and, optionally, its regional WAF web ACL association.
  - Reads the current state with a handful of describe calls and changes only what differs, so a run with
    nothing to change makes no write call.
  - Never registers or deregisters targets. The Auto Scaling Group owns the targets of the target group;
    unlike M(amazon.aws.elb_target_group) with its default O(amazon.aws.elb_target_group#module:modify_targets=true),
    a re-run leaves them alone.
  - Without a certificate and with O(origin_verify_header) set, the HTTP listener answers 403 unless the
    request carries the secret header (set by CloudFront on its origin requests).
  - With O(state=absent) it returns once the load balancer is deleted. Its network interfaces stay in its
    subnets for some minutes more, until AWS releases them; M(illustra.webstack.vpc_network) waits for them
    when it removes the network.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the load balancer (at most 32 characters).
    type: str
    required: true
  state:
    description: Whether the load balancer should exist.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description:
      - VPC of the target group. Required to create the target group.
      - May be empty in check mode when the VPC does not exist yet.
    type: str
  subnets:
    description: Subnets (public, one per availability zone) the load balancer sits in.
    type: list
    elements: str
    default: []
  security_groups:
    description: Security groups of the load balancer.
    type: list
    elements: str
    default: []
  scheme:
    description: Scheme of the load balancer; it cannot change once created.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  certificate_arn:
    description:
      - ACM certificate of the HTTPS listener. When set, the ALB serves HTTPS on 443 and redirects HTTP
        to HTTPS with a 301. When empty, the ALB serves HTTP on 80 only.
    type: str
  ssl_policy:
    description: TLS policy of the HTTPS listener.
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  origin_verify_header:
    description:
      - A secret header that requests must carry to be forwarded; others get 403. Used to keep an ALB
        reachable only through CloudFront, which adds the header to its origin requests.
    type: dict
    suboptions:
      name:
        description: Header name.
        type: str
        required: true
      value:
        description: Header value (a secret; never logged).
        type: str
        required: true
  deletion_protection:
    description: Whether deletion protection is enabled.
    type: bool
    default: false
  force_delete:
    description: With O(state=absent), disable deletion protection first instead of failing.
    type: bool
    default: false
  drop_invalid_header_fields:
    description: Whether the ALB drops HTTP headers with invalid field names.
    type: bool
    default: true
  idle_timeout:
    description: Idle timeout in seconds.
    type: int
    default: 60
  access_logs:
    description: Access logs to S3; omit or leave O(access_logs.bucket) empty to disable them.
    type: dict
    suboptions:
      bucket:
        description: Bucket the logs go to (its policy must allow the regional ELB account).
        type: str
      prefix:
        description: Key prefix of the logs.
        type: str
        default: ""
  web_acl_arn:
    description:
      - Regional WAF web ACL to associate with the load balancer.
      - Omit to leave any association alone; an empty string removes the association.
    type: str
  target_group:
    description: The target group the listeners forward to. Its targets are never touched.
    type: dict
    required: true
    suboptions:
      name:
        description: Target group name (at most 32 characters).
        type: str
        required: true
      port:
        description: Port of the targets (nginx on the instances).
        type: int
        default: 80
      protocol:
        description: Protocol to the targets.
        type: str
        choices: [HTTP, HTTPS]
        default: HTTP
      health_check_path:
        description: Path of the health check.
        type: str
        default: /api/products
      health_check_interval:
        description: Seconds between health checks.
        type: int
        default: 30
      health_check_timeout:
        description: Seconds before a health check times out.
        type: int
        default: 5
      healthy_threshold:
        description: Consecutive successes before a target is healthy.
        type: int
        default: 2
      unhealthy_threshold:
        description: Consecutive failures before a target is unhealthy.
        type: int
        default: 3
      matcher:
        description: HTTP codes that count as healthy.
        type: str
        default: "200"
      deregistration_delay:
        description: Seconds to drain a target before deregistering it.
        type: int
        default: 30
  tags:
    description: Tags of the load balancer and the target group.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in O(tags).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Returns the state before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the ALB with HTTPS and an HTTP to HTTPS redirect
  illustra.webstack.elbv2_web_alb:
    name: illustra-prod
    vpc_id: "{{ vpc__output.vpc_id }}"
    subnets: "{{ vpc__output.public_subnet_ids }}"
    security_groups: ["{{ vpc__output.security_group_ids.alb }}"]
    certificate_arn: "{{ acm__output.certificate_arn }}"
    deletion_protection: true
    target_group:
      name: illustra-prod-web
      health_check_path: /api/products
    tags:
      Project: illustra
      Environment: prod

- name: Delete the ALB and its target group
  illustra.webstack.elbv2_web_alb:
    name: illustra-prod
    state: absent
    force_delete: true
    target_group:
      name: illustra-prod-web
"""

RETURN = r"""
load_balancer:
  description: The load balancer; empty when absent (or when it would be created in check mode).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the load balancer.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/illustra-prod/50dc6c495c0c9188
    dns_name:
      description: DNS name of the load balancer.
      type: str
      sample: illustra-prod-1234567890.us-east-1.elb.amazonaws.com
    canonical_hosted_zone_id:
      description: Route 53 zone of the load balancer (for alias records).
      type: str
      sample: Z35SXDOTRQ7X7K
    security_groups:
      description: Security groups.
      type: list
      elements: str
    subnets:
      description: Subnets.
      type: list
      elements: str
    attributes:
      description: Managed attributes.
      type: dict
target_group_arn:
  description: ARN of the target group; null when it would be created in check mode.
  returned: always
  type: str
https_enabled:
  description: Whether an HTTPS listener serves the ALB.
  returned: always
  type: bool
listeners:
  description: The listeners as desired (ports, protocols, actions).
  returned: always
  type: list
  elements: dict
web_acl_arn:
  description: The associated web ACL, if any.
  returned: always
  type: str
actions:
  description: What the module did (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create load balancer", "create listener 443"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _elbv2_alb as alb
from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2


def _lb_summary(lb, attrs):
    if not lb:
        return {}
    return {
        "arn": lb["LoadBalancerArn"],
        "dns_name": lb["DNSName"],
        "canonical_hosted_zone_id": lb["CanonicalHostedZoneId"],
        "scheme": lb.get("Scheme"),
        "security_groups": sorted(lb.get("SecurityGroups", [])),
        "subnets": sorted(az["SubnetId"] for az in lb.get("AvailabilityZones", [])),
        "attributes": attrs,
    }


def _sync_tags(client, arn, desired, *, purge, check_mode, actions, label):
    if desired is None:
        return False
    current = alb.describe_tags(client, [arn]).get(arn, {})
    to_set, to_unset = compare_aws_tags(current, desired, purge)
    if not (to_set or to_unset):
        return False
    actions.append("update tags of " + label)
    if not check_mode:
        if to_unset:
            alb.remove_tags(client, arn, to_unset)
        if to_set:
            alb.add_tags(client, arn, to_set)
    return True


def ensure_present(module, client, waf):
    p = module.params
    check = module.check_mode
    actions = []
    tg_params = p["target_group"]
    tags = p["tags"]
    tag_list = [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]

    lb = alb.describe_load_balancer(client, p["name"])
    tg = alb.describe_target_group(client, tg_params["name"])
    before = {"load_balancer": None, "target_group": None, "listeners": [], "rules": []}

    # Target group first: the listeners forward to it.
    desired_tg = alb.desired_target_group(tg_params)
    desired_tg_attrs = {"deregistration_delay.timeout_seconds": str(tg_params["deregistration_delay"])}
    if tg is None:
        actions.append("create target group")
        if not p["vpc_id"] and not check:
            module.fail_json(msg="vpc_id is required to create the target group {}".format(tg_params["name"]))
        tg_arn = None
        if not check:
            kwargs = dict(desired_tg, Name=tg_params["name"], VpcId=p["vpc_id"], TargetType="instance")
            if tag_list:
                kwargs["Tags"] = tag_list
            tg_arn = alb.create_target_group(client, **kwargs)["TargetGroupArn"]
            alb.modify_tg_attributes(client, tg_arn, desired_tg_attrs)
    else:
        tg_arn = tg["TargetGroupArn"]
        before["target_group"] = {k: tg.get(k) for k in desired_tg}
        changes, immutable = alb.target_group_changes(tg, desired_tg)
        if p["vpc_id"] and tg.get("VpcId") != p["vpc_id"]:
            immutable.append("VpcId")
        if immutable:
            module.fail_json(
                msg="Target group {} exists with different {}; these cannot change in place. "
                "Choose a new target_group.name (the ASG re-registers its instances) or delete the old one.".format(
                    tg_params["name"], ", ".join(sorted(immutable))
                )
            )
        if changes:
            actions.append("modify target group")
            if not check:
                alb.modify_target_group(client, tg_arn, **{k: v for k, v in changes.items() if k != "Protocol"})
        attr_changes = alb.attribute_changes(
            alb.describe_tg_attributes(client, tg_arn), desired_tg_attrs, alb.TG_ATTRIBUTE_DEFAULTS
        )
        if attr_changes:
            actions.append("modify target group attributes")
            if not check:
                alb.modify_tg_attributes(client, tg_arn, attr_changes)
        _sync_tags(client, tg_arn, tags, purge=p["purge_tags"], check_mode=check, actions=actions, label="target group")

    # The load balancer.
    desired_attrs = alb.desired_lb_attributes(p)
    attrs = {}
    if lb is None:
        actions.append("create load balancer")
        if not check:
            if not p["subnets"]:
                module.fail_json(msg="subnets is required to create the load balancer {}".format(p["name"]))
            kwargs = {
                "Name": p["name"],
                "Subnets": p["subnets"],
                "SecurityGroups": p["security_groups"],
                "Scheme": p["scheme"],
                "Type": "application",
                "IpAddressType": "ipv4",
            }
            if tag_list:
                kwargs["Tags"] = tag_list
            lb = alb.create_load_balancer(client, **kwargs)
            alb.modify_lb_attributes(client, lb["LoadBalancerArn"], desired_attrs)
            attrs = desired_attrs
    else:
        lb_arn = lb["LoadBalancerArn"]
        current_attrs = alb.describe_lb_attributes(client, lb_arn)
        before["load_balancer"] = _lb_summary(lb, {k: current_attrs.get(k) for k in desired_attrs})
        if lb.get("Scheme") != p["scheme"]:
            module.fail_json(
                msg="Load balancer {} exists with scheme {}; the scheme cannot change. Delete it first.".format(
                    p["name"], lb.get("Scheme")
                )
            )
        changes = alb.attribute_changes(current_attrs, desired_attrs, alb.LB_ATTRIBUTE_DEFAULTS)
        if changes:
            actions.append("modify load balancer attributes")
            if not check:
                alb.modify_lb_attributes(client, lb_arn, changes)
        attrs = dict({k: current_attrs.get(k) for k in desired_attrs}, **changes)
        if p["security_groups"] and alb.sets_differ(lb.get("SecurityGroups"), p["security_groups"]):
            actions.append("set security groups")
            if not check:
                alb.set_security_groups(client, lb_arn, p["security_groups"])
        current_subnets = [az["SubnetId"] for az in lb.get("AvailabilityZones", [])]
        if p["subnets"] and alb.sets_differ(current_subnets, p["subnets"]):
            actions.append("set subnets")
            if not check:
                alb.set_subnets(client, lb_arn, p["subnets"])
        _sync_tags(
            client, lb_arn, tags, purge=p["purge_tags"], check_mode=check, actions=actions, label="load balancer"
        )
        if not check and any(a.startswith("set ") for a in actions):
            lb = alb.describe_load_balancer(client, p["name"])

    # Listeners and the origin-verify rule.
    desired_listeners = alb.desired_listeners(p, tg_arn or "(target group to be created)")
    forward_port = 443 if p["certificate_arn"] else 80
    current_listeners = alb.describe_listeners(client, lb["LoadBalancerArn"]) if lb else []
    before["listeners"] = [alb.normalize_listener(x) for x in current_listeners]
    plan = alb.plan_listeners(current_listeners, desired_listeners)
    listener_arns = {x["Port"]: x["ListenerArn"] for x in current_listeners}
    for arn in plan["delete"]:
        actions.append("delete listener " + arn.rsplit("/", 1)[-1])
        if not check:
            alb.delete_listener(client, arn)
    for arn, spec in plan["modify"]:
        actions.append("modify listener {}".format(spec["Port"]))
        if not check:
            alb.modify_listener(client, arn, **spec)
    for spec in plan["create"]:
        actions.append("create listener {}".format(spec["Port"]))
        if not check and lb:
            listener_arns[spec["Port"]] = alb.create_listener(client, LoadBalancerArn=lb["LoadBalancerArn"], **spec)[
                "ListenerArn"
            ]

    desired_rules = alb.desired_rules(p, tg_arn or "(target group to be created)")
    forward_listener = listener_arns.get(forward_port)
    current_rules = alb.describe_rules(client, forward_listener) if forward_listener else []
    before["rules"] = [alb.mask_listener(r) for r in current_rules if not r.get("IsDefault")]
    delete_rules, create_rules = alb.plan_rules(current_rules, desired_rules)
    for arn in delete_rules:
        actions.append("delete listener rule")
        if not check:
            alb.delete_rule(client, arn)
    for rule in create_rules:
        actions.append(f"create origin-verify rule on listener {forward_port}")
        if not check and forward_listener:
            alb.create_rule(client, ListenerArn=forward_listener, **rule)

    # WAF association (regional web ACL).
    web_acl = None
    if lb:
        web_acl = (_wafv2.get_web_acl_for_resource(waf, lb["LoadBalancerArn"]) or {}).get("ARN")
    before["web_acl_arn"] = web_acl
    if p["web_acl_arn"] is not None and (web_acl or "") != p["web_acl_arn"]:
        if p["web_acl_arn"]:
            actions.append("associate web ACL")
            if not check and lb:
                _wafv2.associate(waf, p["web_acl_arn"], lb["LoadBalancerArn"])
        else:
            actions.append("disassociate web ACL")
            if not check and lb:
                _wafv2.disassociate(waf, lb["LoadBalancerArn"])
        web_acl = p["web_acl_arn"] or None

    after = {
        "load_balancer": _lb_summary(lb, attrs) if lb else {"name": p["name"], "attributes": desired_attrs},
        "target_group": desired_tg,
        "listeners": [alb.normalize_listener(x) for _port, x in sorted(desired_listeners.items())],
        "rules": [alb.mask_listener(r) for r in desired_rules],
        "web_acl_arn": web_acl,
    }
    return {
        "changed": bool(actions),
        "actions": actions,
        "load_balancer": _lb_summary(lb, attrs),
        "target_group_arn": tg_arn,
        "https_enabled": bool(p["certificate_arn"]),
        "listeners": after["listeners"],
        "web_acl_arn": web_acl,
        "diff": {"before": before, "after": after},
    }


def ensure_absent(module, client):
    p = module.params
    check = module.check_mode
    actions = []
    lb = alb.describe_load_balancer(client, p["name"])
    tg = alb.describe_target_group(client, p["target_group"]["name"])
    before = {"load_balancer": None, "target_group": None}
    if lb:
        attrs = alb.describe_lb_attributes(client, lb["LoadBalancerArn"])
        before["load_balancer"] = _lb_summary(lb, attrs)
        if attrs.get("deletion_protection.enabled") == "true":
            if not p["force_delete"]:
                module.fail_json(
                    msg="Load balancer {} has deletion protection enabled. Set force_delete=true to delete it "
                    "anyway.".format(p["name"])
                )
            actions.append("disable deletion protection")
            if not check:
                alb.modify_lb_attributes(client, lb["LoadBalancerArn"], {"deletion_protection.enabled": "false"})
        actions.append("delete load balancer")
        if not check:
            alb.delete_load_balancer(client, lb["LoadBalancerArn"])
    if tg:
        before["target_group"] = {"arn": tg["TargetGroupArn"], "name": tg["TargetGroupName"]}
        actions.append("delete target group")
        if not check:
            alb.delete_target_group(client, tg["TargetGroupArn"])
    return {
        "changed": bool(actions),
        "actions": actions,
        "load_balancer": {},
        "target_group_arn": None,
        "https_enabled": False,
        "listeners": [],
        "web_acl_arn": None,
        "diff": {"before": before, "after": {"load_balancer": None, "target_group": None}},
    }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        subnets=dict(type="list", elements="str", default=[]),
        security_groups=dict(type="list", elements="str", default=[]),
        scheme=dict(type="str", choices=["internet-facing", "internal"], default="internet-facing"),
        certificate_arn=dict(type="str"),
        ssl_policy=dict(type="str", default=alb.DEFAULT_SSL_POLICY),
        origin_verify_header=dict(
            type="dict",
            options=dict(
                name=dict(type="str", required=True),
                value=dict(type="str", required=True, no_log=True),
            ),
        ),
        deletion_protection=dict(type="bool", default=False),
        force_delete=dict(type="bool", default=False),
        drop_invalid_header_fields=dict(type="bool", default=True),
        idle_timeout=dict(type="int", default=60),
        access_logs=dict(
            type="dict",
            options=dict(bucket=dict(type="str"), prefix=dict(type="str", default="")),
        ),
        web_acl_arn=dict(type="str"),
        target_group=dict(
            type="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                port=dict(type="int", default=80),
                protocol=dict(type="str", choices=["HTTP", "HTTPS"], default="HTTP"),
                health_check_path=dict(type="str", default="/api/products"),
                health_check_interval=dict(type="int", default=30),
                health_check_timeout=dict(type="int", default=5),
                healthy_threshold=dict(type="int", default=2),
                unhealthy_threshold=dict(type="int", default=3),
                matcher=dict(type="str", default="200"),
                deregistration_delay=dict(type="int", default=30),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if len(module.params["name"]) > 32 or len(module.params["target_group"]["name"]) > 32:
        module.fail_json(msg="name and target_group.name must be at most 32 characters (an ELBv2 limit)")

    client = module.client("elbv2")
    try:
        if module.params["state"] == "absent":
            result = ensure_absent(module, client)
        else:
            result = ensure_present(module, client, module.client("wafv2"))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
