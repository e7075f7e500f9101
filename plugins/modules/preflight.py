#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight
short_description: Check an environment's inputs together, before anything is created
version_added: 0.1.0
description:
  - Runs the cross-field rules that argument specs cannot express. CIDRs valid, private and not
    overlapping. A domain where the environment serves one. Flags that contradict each other. Names
    within AWS limits. Tags AWS accepts. Instance types that exist. A budget that is a positive
    number. The environment matrix's floor for prod.
  - Fails with every problem at once, each naming the variable and the fix. Makes no AWS call.
  - Reports the environment's flagged exceptions to the secure defaults (dev's public S3 website).
author:
  - illustra.webstack developers (@illustra)
options:
  config:
    description:
      - The environment's inputs. Keys used are C(project), C(environment), C(region),
        C(extra_tags), C(website_mode), C(custom_domain), C(domain), C(waf_mode), C(backend_mode),
        C(monitoring_level), C(backup_mode), C(budget_usd), C(policy_level), C(alert_emails).
      - Also C(vpc_cidr_block), C(vpc_az_count), C(vpc_public_subnet_cidrs),
        C(vpc_private_subnet_cidrs), C(vpc_app_public_ingress_cidrs), C(other_env_cidrs) (environment
        name to CIDR), C(instance_types) (variable name to type), C(sizes) (asg_min_size,
        asg_max_size, asg_desired_capacity), C(bucket_names) (variable name to bucket name), C(mongodb_mode)
        and C(mongodb_atlas_uri_set) (whether the Atlas connection string is set; never the string itself).
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: The module only reads its input.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Check the environment's inputs
  illustra.webstack.preflight:
    config:
      project: illustra
      environment: prod
      region: us-east-1
      website_mode: cloudfront
      custom_domain: true
      domain: example.com
      waf_mode: block
      backend_mode: asg
      backup_mode: daily
      budget_usd: 200
      vpc_cidr_block: 10.30.0.0/16
"""

RETURN = r"""
preflight:
  description: The outcome.
  returned: always
  type: dict
  contains:
    problems:
      description: Every problem found (empty on success); each names the variable and the fix.
      type: list
      elements: str
    exceptions:
      description: Flagged, deliberate exceptions to the secure defaults in this environment.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.illustra.webstack.plugins.module_utils._preflight import review


def main():
    module = AnsibleModule(argument_spec=dict(config=dict(type="dict", required=True)), supports_check_mode=True)
    problems, exceptions = review(module.params["config"])
    result = dict(changed=False, preflight=dict(problems=problems, exceptions=exceptions))
    if problems:
        count = len(problems)
        module.fail_json(
            msg=f"preflight found {count} problem{'s' if count > 1 else ''} in the inventory; nothing was created:\n- "
            + "\n- ".join(problems),
            **result,
        )
    for exception in exceptions:
        module.warn("flagged exception: " + exception)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
