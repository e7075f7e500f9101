#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wafv2_managed_web_acl
short_description: A WAFv2 web ACL of AWS managed rule groups plus a per-IP rate limit
version_added: 0.1.0
description:
  - Creates or updates a web ACL that allows by default and applies the AWS managed rule groups
    O(managed_rule_groups) and a rate-based rule, either enforcing (O(mode=block)) or only counting
    (O(mode=count)).
  - Reads the ACL with one list and one get call and compares only the fields it manages, so a
    second run reports no change. Updates use the ACL's lock token.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the web ACL (unique per scope and region).
    type: str
    required: true
  scope:
    description: C(CLOUDFRONT) (the ACL must then be managed in C(us-east-1)) or C(REGIONAL) (ALB, API Gateway).
    type: str
    required: true
    choices: [CLOUDFRONT, REGIONAL]
  mode:
    description: C(block) enforces the rules; C(count) only counts matches (a dry run of the rules).
    type: str
    default: block
    choices: [block, count]
  managed_rule_groups:
    description: Names of AWS managed rule groups, in priority order.
    type: list
    elements: str
    default:
      - AWSManagedRulesCommonRuleSet
      - AWSManagedRulesKnownBadInputsRuleSet
      - AWSManagedRulesSQLiRuleSet
      - AWSManagedRulesAmazonIpReputationList
  rate_limit:
    description: Requests per 5 minutes per client IP before the rate rule acts; C(0) disables the rule.
    type: int
    default: 2000
  rate_limit_forwarded_ip_header:
    description:
      - For an ACL behind CloudFront (the ALB's REGIONAL ACL) - the header that carries the viewer's address,
        normally C(X-Forwarded-For). Behind CloudFront the connection's address is an edge's, shared by every
        viewer it serves, so counting it would let one busy edge block everyone behind it.
      - With it, rule C(rate-limit-per-forwarded-ip) counts the address in the header (a header without a valid
        address gets the rule's action, C(FallbackBehavior=MATCH)), and C(rate-limit-per-ip) counts the
        connection's address only for requests without the header (clients that reach the origin directly).
      - The header is what the client or CloudFront wrote, and WAF takes its first address - a client can forge
        it. Rate-limit viewers on their real address in the C(CLOUDFRONT) ACL too.
    type: str
  log_group_name:
    description:
      - CloudWatch Logs log group (in the ACL's Region, named C(aws-waf-logs-*) as WAF requires) that receives the
        ACL's request logs. The log group must exist; the module manages the ACL's logging configuration.
      - When omitted, the ACL has no logging configuration.
    type: str
  description:
    description: Description of the ACL.
    type: str
    default: Managed by illustra.webstack
  metric_prefix:
    description: CloudWatch metric name prefix; defaults to O(name).
    type: str
  tags:
    description: Tags of the ACL.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  state:
    description: C(present) or C(absent). An ACL still associated with resources cannot be deleted.
    type: str
    default: present
    choices: [present, absent]
attributes:
  check_mode:
    description: Reads the current state and reports what would change without changing anything.
    support: full
  diff_mode:
    description: Returns the managed settings before and after the change.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the CloudFront web ACL
  illustra.webstack.wafv2_managed_web_acl:
    region: us-east-1
    name: illustra-prod-edge
    scope: CLOUDFRONT
    mode: block
    rate_limit: 2000
    tags:
      Project: illustra
"""

RETURN = r"""
web_acl:
  description: The web ACL (empty when absent; C(arn) null in check mode when it would be created).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    id:
      description: Id.
      type: str
    arn:
      description: ARN, to associate with a resource or to set as a distribution's C(WebACLId).
      type: str
    default_action:
      description: The default action (C([Allow])).
      type: list
      elements: str
    rules:
      description: Name, priority and action of every rule.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


def find(client, name, scope):
    for item in waf.list_web_acls(client, scope):
        if item["Name"] == name:
            found = waf.get_web_acl(client, name, scope, item["Id"])
            if found:
                return found
    return None, None


def ensure_present(module, client):
    p = module.params
    desired = waf.build_acl(
        p["name"],
        p["description"],
        metric_prefix=p["metric_prefix"] or p["name"],
        mode=p["mode"],
        managed_rule_groups=p["managed_rule_groups"],
        rate_limit=p["rate_limit"],
        forwarded_ip_header=p["rate_limit_forwarded_ip_header"],
    )
    tags = p["tags"] or {}
    current, lock_token = find(client, p["name"], p["scope"])
    if current is None:
        after = waf.summary(dict(desired, ARN=None, Id=None), tags)
        if not module.check_mode:
            created = waf.create_web_acl(client, desired, p["scope"], tags)
            after.update(arn=created["ARN"], id=created["Id"])
        return True, {}, after
    current_tags = get_tags(client, current["ARN"])
    before = waf.summary(current, current_tags)
    changed = False
    if waf.acl_differs(desired, current):
        changed = True
        if not module.check_mode:
            update = {k: v for k, v in desired.items() if k != "Name"}
            waf.update_web_acl(client, dict(update, Name=p["name"]), p["scope"], current["Id"], lock_token)
    to_add, to_remove = compare_aws_tags(current_tags, tags, purge_tags=p["purge_tags"])
    if to_add or to_remove:
        changed = True
        if not module.check_mode:
            if to_remove:
                waf.untag_resource(client, current["ARN"], to_remove)
            if to_add:
                waf.tag_resource(client, current["ARN"], to_add)
    new_tags = {k: v for k, v in current_tags.items() if k not in to_remove}
    new_tags.update(to_add)
    after = waf.summary(dict(desired, ARN=current["ARN"], Id=current["Id"]), new_tags)
    return changed, before, after


def ensure_logging(module, client, acl_arn, before, after):
    """The ACL's logging configuration: to the log group, or none."""
    name = module.params["log_group_name"]
    desired = waf.log_group_arn(acl_arn, name) if name and acl_arn else None
    current = waf.get_logging_configuration(client, acl_arn) if acl_arn else None
    current = (current or {}).get("LogDestinationConfigs") or []
    before["log_destinations"] = current
    after["log_destinations"] = [desired] if name else []
    if not acl_arn:
        return bool(name)
    if (current == [desired]) if desired else not current:
        return False
    if not module.check_mode:
        if desired:
            waf.put_logging_configuration(client, acl_arn, desired)
        else:
            waf.delete_logging_configuration(client, acl_arn)
    return True


def ensure_absent(module, client):
    p = module.params
    current, lock_token = find(client, p["name"], p["scope"])
    if current is None:
        return False, {}, {}
    before = waf.summary(current, get_tags(client, current["ARN"]))
    if not module.check_mode:
        waf.delete_web_acl(client, p["name"], p["scope"], current["Id"], lock_token)
    return True, before, {}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        scope=dict(type="str", required=True, choices=["CLOUDFRONT", "REGIONAL"]),
        mode=dict(type="str", default="block", choices=["block", "count"]),
        managed_rule_groups=dict(type="list", elements="str", default=list(waf.DEFAULT_MANAGED_RULE_GROUPS)),
        rate_limit=dict(type="int", default=2000),
        rate_limit_forwarded_ip_header=dict(type="str"),
        description=dict(type="str", default="Managed by illustra.webstack"),
        metric_prefix=dict(type="str"),
        log_group_name=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["rate_limit"] and not 10 <= module.params["rate_limit"] <= 2000000000:
        module.fail_json(msg="rate_limit must be 0 (no rate rule) or between 10 and 2000000000 requests per 5 minutes.")
    if module.params["log_group_name"] and not module.params["log_group_name"].startswith("aws-waf-logs-"):
        module.fail_json(
            msg="log_group_name must start with aws-waf-logs- (AWS WAF logs only to destinations so named)."
        )
    client = module.client("wafv2")
    try:
        if module.params["state"] == "present":
            changed, before, after = ensure_present(module, client)
            changed |= ensure_logging(module, client, after.get("arn"), before, after)
        else:
            changed, before, after = ensure_absent(module, client)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(changed=changed, web_acl=after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
