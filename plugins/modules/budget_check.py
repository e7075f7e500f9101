#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: budget_check
short_description: Estimate an environment's monthly AWS cost and compare it with its budget
version_added: 0.1.0
description:
  - Estimates the monthly cost of what an environment's inventory will create (backend instances by
    type and count, the ALB, NAT gateways, MongoDB, S3, CloudFront, WAF web ACL and rules, Route 53
    zones, CloudWatch alarms, dashboards and logs, backups) from a dated price table shipped with the
    collection, which O(price_table) overrides entry by entry.
  - Compares the estimate with O(budget_usd) and applies O(policy_level) - V(informational) reports,
    V(warning) adds a warning, V(strict) fails, so that nothing is created over budget.
  - Makes no AWS call and never reports changed.
  - The sizes' defaults below only serve a direct call. The preflight role passes what the roles will build, read
    from the inventory or the roles' own defaults (the P(illustra.webstack.role_vars#lookup) lookup).
author:
  - illustra.webstack developers (@illustra)
options:
  budget_usd:
    description: The environment's monthly budget in USD (V(webstack_budget_usd)).
    type: float
    required: true
  policy_level:
    description: What an estimate over budget does.
    type: str
    choices: [informational, warning, strict]
    default: warning
  environment:
    description: The environment name, for messages.
    type: str
    default: ""
  price_table:
    description:
      - Overrides for the shipped price table (USD, us-east-1, on-demand); nested dicts such as
        V(ec2_hourly) and V(atlas_month) merge key by key.
    type: dict
    default: {}
  backend_mode:
    description: V(none), V(single) (one instance with a public address) or V(asg) (ALB and Auto Scaling Group).
    type: str
    choices: [none, single, asg]
    default: asg
  instance_type:
    description: Backend instance type.
    type: str
    default: t3.small
  instance_count:
    description: Backend instances running on average (the ASG desired capacity); ignored for V(single).
    type: int
    default: 2
  volume_size_gb:
    description: Root volume size of a backend instance.
    type: int
    default: 20
  az_count:
    description: Availability zones used (ALB addresses, NAT gateways per AZ).
    type: int
    default: 2
  nat_mode:
    description: NAT gateways - V(none), V(single) or V(per_az) (V(vpc_nat_mode)).
    type: str
    choices: [none, single, per_az]
    default: none
  nat_data_gb:
    description: Data processed by the NAT gateways per month.
    type: float
    default: 10
  database_mode:
    description: MongoDB on an EC2 instance (V(self_hosted)), on Atlas (V(atlas)) or V(none).
    type: str
    choices: [self_hosted, atlas, none]
    default: self_hosted
  database_instance_type:
    description: Instance type of the self-hosted MongoDB.
    type: str
    default: t3.small
  database_volume_gb:
    description: Data volume size of the self-hosted MongoDB.
    type: int
    default: 20
  atlas_tier:
    description: MongoDB Atlas cluster tier when O(database_mode=atlas).
    type: str
    default: M10
  website_mode:
    description: How the website is served (V(webstack_website_mode)).
    type: str
    choices: [s3_website, cloudfront]
    default: cloudfront
  s3_storage_gb:
    description: Website bucket size.
    type: float
    default: 1
  data_transfer_gb:
    description: Website and API traffic to the internet per month.
    type: float
    default: 50
  requests_millions:
    description: Requests per month, in millions.
    type: float
    default: 1
  waf_mode:
    description: V(off), V(count) or V(block) (V(webstack_waf_mode)).
    type: str
    choices: ["off", count, block]
    default: "off"
  waf_rule_count:
    description: Rules in each web ACL (managed rule groups and the rate limit).
    type: int
    default: 4
  waf_web_acl_count:
    description: Web ACLs (one for CloudFront, one regional for the ALB).
    type: int
    default: 1
  custom_domain:
    description: Whether Route 53 zones are created (V(webstack_custom_domain)).
    type: bool
    default: false
  route53_zones:
    description: Hosted zones created when O(custom_domain=true).
    type: int
    default: 1
  monitoring_level:
    description: CloudWatch scope (V(webstack_monitoring_level)); decides alarm, dashboard and log volume.
    type: str
    choices: [essential, standard, full]
    default: standard
  backup_mode:
    description: V(off), V(daily) (mongodump to S3) or V(daily_aws_backup) (plus AWS Backup).
    type: str
    choices: ["off", daily, daily_aws_backup]
    default: "off"
  backup_storage_gb:
    description: Backup bucket size.
    type: float
    default: 10
  backup_snapshot_gb:
    description: Snapshot storage kept by AWS Backup.
    type: float
    default: 40
  access_logs:
    description: The environment keeps access logs (the log bucket, CloudFront's and WAF's logs).
    type: bool
    default: false
  access_logs_gb:
    description: GB of access logs kept; a fifth of it a month is priced for CloudFront's and WAF's deliveries.
    type: float
    default: 10
attributes:
  check_mode:
    support: full
    description: Makes no change; runs the same in check mode.
  diff_mode:
    support: none
    description: Makes no change, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Estimate the environment's monthly cost against its budget
  illustra.webstack.budget_check:
    environment: "{{ webstack_env }}"
    budget_usd: "{{ webstack_budget_usd }}"
    policy_level: "{{ webstack_policy_level }}"
    backend_mode: "{{ webstack_backend_mode }}"
    instance_type: t3.small
    instance_count: 2
    nat_mode: single
    website_mode: cloudfront
    waf_mode: block
    monitoring_level: full
    backup_mode: daily
"""

RETURN = r"""
budget_check:
  description: The estimate and its verdict.
  returned: always
  type: dict
  contains:
    total_usd:
      description: Estimated monthly cost.
      type: float
      sample: 118.4
    budget_usd:
      description: The budget compared against.
      type: float
      sample: 200
    percent_of_budget:
      description: The estimate as a percentage of the budget.
      type: float
      sample: 59.2
    within_budget:
      description: Whether the estimate fits the budget.
      type: bool
    status:
      description: V(ok), V(warn) or V(fail) after applying the policy level.
      type: str
    message:
      description: A one-line summary.
      type: str
    price_table_date:
      description: Date of the prices used.
      type: str
      sample: "2025-06-01"
    items:
      description: The itemised breakdown.
      type: list
      elements: dict
      contains:
        item:
          description: What is charged.
          type: str
        quantity:
          description: How much of it per month.
          type: float
        unit:
          description: The unit of the quantity.
          type: str
        unit_price_usd:
          description: Price per unit.
          type: float
        monthly_usd:
          description: Monthly cost of the item.
          type: float
        note:
          description: Remarks.
          type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.illustra.webstack.plugins.module_utils._prices import estimate
from ansible_collections.illustra.webstack.plugins.module_utils._prices import merge_price_table
from ansible_collections.illustra.webstack.plugins.module_utils._prices import verdict

ARGUMENT_SPEC = dict(
    budget_usd=dict(type="float", required=True),
    policy_level=dict(type="str", choices=["informational", "warning", "strict"], default="warning"),
    environment=dict(type="str", default=""),
    price_table=dict(type="dict", default={}),
    backend_mode=dict(type="str", choices=["none", "single", "asg"], default="asg"),
    instance_type=dict(type="str", default="t3.small"),
    instance_count=dict(type="int", default=2),
    volume_size_gb=dict(type="int", default=20),
    az_count=dict(type="int", default=2),
    nat_mode=dict(type="str", choices=["none", "single", "per_az"], default="none"),
    nat_data_gb=dict(type="float", default=10),
    database_mode=dict(type="str", choices=["self_hosted", "atlas", "none"], default="self_hosted"),
    database_instance_type=dict(type="str", default="t3.small"),
    database_volume_gb=dict(type="int", default=20),
    atlas_tier=dict(type="str", default="M10"),
    website_mode=dict(type="str", choices=["s3_website", "cloudfront"], default="cloudfront"),
    s3_storage_gb=dict(type="float", default=1),
    data_transfer_gb=dict(type="float", default=50),
    requests_millions=dict(type="float", default=1),
    waf_mode=dict(type="str", choices=["off", "count", "block"], default="off"),
    waf_rule_count=dict(type="int", default=4),
    waf_web_acl_count=dict(type="int", default=1),
    custom_domain=dict(type="bool", default=False),
    route53_zones=dict(type="int", default=1),
    monitoring_level=dict(type="str", choices=["essential", "standard", "full"], default="standard"),
    backup_mode=dict(type="str", choices=["off", "daily", "daily_aws_backup"], default="off"),
    backup_storage_gb=dict(type="float", default=10),
    backup_snapshot_gb=dict(type="float", default=40),
    access_logs=dict(type="bool", default=False),
    access_logs_gb=dict(type="float", default=10),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    table = merge_price_table(params["price_table"])
    try:
        items, total = estimate(params, table)
        status, message = verdict(total, params["budget_usd"], params["policy_level"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    if params["environment"]:
        message = "{}: {}".format(params["environment"], message)
    result = dict(
        total_usd=total,
        budget_usd=params["budget_usd"],
        percent_of_budget=round(100.0 * total / params["budget_usd"], 1),
        within_budget=total <= params["budget_usd"],
        status=status,
        message=message,
        price_table_date=table.get("date", ""),
        items=items,
    )
    if status == "fail":
        module.fail_json(msg="Over budget (policy level strict): " + message, budget_check=result)
    if status == "warn":
        module.warn("Over budget (policy level warning): " + message)
    module.exit_json(changed=False, budget_check=result)


if __name__ == "__main__":
    main()
