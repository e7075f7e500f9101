#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_records
short_description: Manage a set of Route 53 records (plain or alias) in one change batch
version_added: 0.1.0
description:
  - Makes the named record sets of a hosted zone match O(records) with one listing and at most one
    C(ChangeResourceRecordSets) call. Record sets that are not listed are never touched.
  - Unlike M(amazon.aws.route53) it has no C(region) option (Route 53 is global), so it can share
    C(module_defaults) with regional modules, and it handles many records in one call.
author:
  - illustra.webstack developers (@illustra)
options:
  hosted_zone_id:
    description:
      - The id of the hosted zone (with or without the C(/hostedzone/) prefix).
      - May be empty in check mode, when an earlier task would have created the zone; every record is
        then reported as to be created.
    type: str
    required: true
  records:
    description: The record sets to manage.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The record name (absolute; a trailing dot is optional).
        type: str
        required: true
      type:
        description: The record type.
        type: str
        required: true
        choices: [A, AAAA, CNAME, TXT, MX, CAA, NS]
      ttl:
        description: TTL of a plain record. Ignored for alias records.
        type: int
        default: 300
      values:
        description:
          - Values of a plain record. With O(state=present) each record needs O(records[].values) or O(records[].alias);
            with O(state=absent) records are matched by name and type only.
        type: list
        elements: str
      alias:
        description: Alias target (CloudFront, an ALB, an S3 website endpoint...).
        type: dict
        suboptions:
          dns_name:
            description: DNS name of the target.
            type: str
            required: true
          hosted_zone_id:
            description: Hosted zone id of the target (C(Z2FDTNDATAQYW2) for CloudFront).
            type: str
            required: true
          evaluate_target_health:
            description: Whether Route 53 evaluates the target's health.
            type: bool
            default: false
  state:
    description: C(present) creates or updates the records, C(absent) deletes those that exist.
    type: str
    default: present
    choices: [present, absent]
  wait:
    description: Wait until the change has reached every Route 53 name server.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait when O(wait=true).
    type: int
    default: 300
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
- name: Point the apex and www at CloudFront
  illustra.webstack.route53_records:
    hosted_zone_id: Z0123456789ABC
    records:
      - name: example.com
        type: A
        alias:
          dns_name: d111111abcdef8.cloudfront.net
          hosted_zone_id: Z2FDTNDATAQYW2
      - name: www.example.com
        type: AAAA
        alias:
          dns_name: d111111abcdef8.cloudfront.net
          hosted_zone_id: Z2FDTNDATAQYW2
"""

RETURN = r"""
changes:
  description: The change batch entries that were (or in check mode would be) sent.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "UPSERT", "resource_record_set": {"name": "example.com.", "type": "A"}}]
records:
  description: The managed record sets as they are after the run.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53


def main():
    argument_spec = dict(
        hosted_zone_id=dict(type="str", required=True),
        records=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                type=dict(type="str", required=True, choices=["A", "AAAA", "CNAME", "TXT", "MX", "CAA", "NS"]),
                ttl=dict(type="int", default=300),
                values=dict(type="list", elements="str"),
                alias=dict(
                    type="dict",
                    options=dict(
                        dns_name=dict(type="str", required=True),
                        hosted_zone_id=dict(type="str", required=True),
                        evaluate_target_health=dict(type="bool", default=False),
                    ),
                ),
            ),
            mutually_exclusive=[["values", "alias"]],
        ),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    zone_id = (module.params["hosted_zone_id"] or "").split("/")[-1]
    state = module.params["state"]
    if state == "present":
        incomplete = [r["name"] for r in module.params["records"] if not r.get("values") and not r.get("alias")]
        if incomplete:
            module.fail_json(msg=f"records {incomplete}: give each record 'values' or an 'alias' target.")
    desired = [r53.desired_record_set(r) for r in module.params["records"]]

    if not zone_id:
        if not module.check_mode:
            module.fail_json(msg="hosted_zone_id is empty: pass the id of an existing hosted zone.")
        changes = [] if state == "absent" else [{"Action": "UPSERT", "ResourceRecordSet": r} for r in desired]
        module.exit_json(changed=bool(changes), changes=camel_dict_to_snake_dict({"c": changes})["c"], records=[])

    client = module.client("route53")
    try:
        current = r53.list_record_sets(client, zone_id, names=[r["Name"] for r in desired])
        changes = r53.plan_changes(desired, current, state)
        if changes and not module.check_mode:
            info = r53.change_record_sets(client, zone_id, changes)
            if module.params["wait"]:
                r53.wait_for_change(client, info["Id"], module.params["wait_timeout"])
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    keys = {(r["Name"], r["Type"]) for r in desired}
    before = [r for r in current if (r53.fqdn(r["Name"]), r["Type"]) in keys]
    after = [] if state == "absent" else desired
    result = dict(
        changed=bool(changes),
        changes=camel_dict_to_snake_dict({"c": changes})["c"],
        records=camel_dict_to_snake_dict({"r": after})["r"],
    )
    if module._diff:
        result["diff"] = dict(before={"records": before}, after={"records": after})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
