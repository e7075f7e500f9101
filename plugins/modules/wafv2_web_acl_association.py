#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wafv2_web_acl_association
short_description: Associate a regional WAFv2 web ACL with a resource (ALB, API Gateway stage...), idempotently
version_added: 0.1.0
description:
  - Reads the resource's current ACL with C(GetWebACLForResource) and associates or disassociates only
    when needed. Unlike M(community.aws.wafv2_resources) it does not need C(ListResourcesForWebACL).
  - CloudFront distributions are not associated this way; set the ACL on the distribution
    (O(illustra.webstack.cloudfront_web_distribution#module:web_acl_arn)).
author:
  - illustra.webstack developers (@illustra)
options:
  resource_arn:
    description: ARN of the resource, for example an Application Load Balancer.
    type: str
    required: true
  web_acl_arn:
    description:
      - ARN of the REGIONAL web ACL. Required with O(state=present), except in check mode, where an ACL that an
        earlier task would create has no ARN yet; the association is then reported as to be made.
      - With O(state=absent), the resource is disassociated only when it uses this ACL (or any ACL when omitted).
    type: str
  state:
    description: C(present) or C(absent).
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
- name: Protect the ALB with the regional web ACL
  illustra.webstack.wafv2_web_acl_association:
    resource_arn: "{{ alb__output.arn }}"
    web_acl_arn: "{{ waf__output.regional.arn }}"
"""

RETURN = r"""
web_acl_arn:
  description: ARN of the ACL associated with the resource after the run (null when none).
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf


def main():
    argument_spec = dict(
        resource_arn=dict(type="str", required=True),
        web_acl_arn=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if p["state"] == "present" and not p["web_acl_arn"]:
        if module.check_mode:
            module.exit_json(changed=True, web_acl_arn=None)
        module.fail_json(msg="web_acl_arn is required with state=present: pass waf__output.regional.arn.")
    client = module.client("wafv2")
    try:
        acl = waf.get_web_acl_for_resource(client, p["resource_arn"])
        current = acl["ARN"] if acl else None
        action = waf.plan_association(current, p["web_acl_arn"], p["state"])
        after = current
        if action == "associate":
            after = p["web_acl_arn"]
            if not module.check_mode:
                waf.associate(client, p["web_acl_arn"], p["resource_arn"])
        elif action == "disassociate":
            after = None
            if not module.check_mode:
                waf.disassociate(client, p["resource_arn"])
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(changed=action is not None, web_acl_arn=after)
    if module._diff:
        result["diff"] = dict(before={"web_acl_arn": current}, after={"web_acl_arn": after})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
