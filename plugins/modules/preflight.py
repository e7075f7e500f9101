#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight
short_description: Check every input of an environment before anything is created
version_added: 0.1.0
description:
  - Checks the values the collection's roles will use, keyed by variable name, and fails with every problem at
    once, each naming the variable and the fix. Makes no AWS call.
  - Each role's argument spec (types, choices), checked against the values the role will use, defaults included.
  - What each AWS API accepts (names, lengths, patterns, ranges, enums) from botocore's model of that API; where
    the model says nothing, the rule AWS documents (S3 bucket names, SSM parameter paths, KMS key references,
    CIDRs, e-mail addresses, domain names, ARNs, MongoDB connection strings, CloudWatch Logs retention periods).
  - V(webstack_region) against botocore's endpoint data for the regional services the roles call.
  - Rules across variables (CIDRs that overlap, ports that must agree, an alias the certificate does not cover,
    an instance type whose architecture the image lacks, the prod floor of the environment matrix).
  - Settings that weaken security (docs/preflight.md lists the rules) are refused when V(webstack_policy_level)
    is V(strict), and reported as the environment's flagged exceptions (a warning each) otherwise.
  - With O(roles), the action resolves each variable of those roles as the role will see it (the inventory's value,
    else the role's C(defaults/main.yml)) and passes them as O(variables) and O(secrets).
author:
  - illustra.webstack developers (@illustra)
options:
  roles:
    description:
      - The collection's infrastructure roles that run in this environment. The action resolves every option of
        their argument specs, plus the C(webstack_*) variables, and checks them with those specs.
      - Also decides which regional services V(webstack_region) must offer.
    type: list
    elements: str
  variables:
    description:
      - Values to check, keyed by variable name (for example V(vpc_cidr_block)). They override what O(roles) resolves.
    type: dict
    default: {}
  secrets:
    description:
      - Secret values to check (connection strings, passwords), keyed by variable name. Never echoed.
      - With O(roles), the options their argument specs mark C(no_log).
    type: dict
    default: {}
  argument_specs:
    description: Argument spec options per role (role name to options) to check O(variables) against.
    type: dict
    default: {}
  unresolved:
    description: Variables whose value does not template (variable name to the error); each is a problem.
    type: dict
    default: {}
  data_stage:
    description: Whether this run reaches the database; an Atlas connection string is required only then.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads its input.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Check the environment's inputs (the preflight role's way)
  illustra.webstack.preflight:
    roles: [vpc, frontend_s3, artifacts, mongodb, cloudwatch]

- name: Check a few values directly
  illustra.webstack.preflight:
    variables:
      webstack_project: illustra
      webstack_env: staging
      webstack_region: eu-west-1
      webstack_policy_level: warning
      vpc_cidr_block: 10.20.0.0/16
      vpc_alb_ingress_cidrs: [0.0.0.0/0]
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
      description:
        - Settings that weaken security, allowed at this environment's policy level (refused under strict); each
          names the variable, the rule and the fix.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.illustra.webstack.plugins.module_utils._preflight import review


def main():
    module = AnsibleModule(
        argument_spec=dict(
            roles=dict(type="list", elements="str"),
            variables=dict(type="dict", default={}),
            secrets=dict(type="dict", default={}, no_log=True),
            argument_specs=dict(type="dict", default={}),
            unresolved=dict(type="dict", default={}),
            data_stage=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems, exceptions = review(p["variables"], p["secrets"], p["argument_specs"], p["roles"], p["data_stage"])
    problems = [
        f"{name}: its value does not template ({error}); set {name} in the inventory"
        for name, error in sorted(p["unresolved"].items())
    ] + problems
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
