#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tagged_resources_info
short_description: List every live resource an environment of illustra.webstack still has
version_added: 0.1.0
description:
  - Finds resources by the collection's standard tags (C(ManagedBy=illustra.webstack), plus
    C(Project) and C(Environment) when given). It uses the resource groups tagging API, and EC2's
    own describe calls for EC2 types, which know whether a resource is still alive.
  - Teardown uses it to prove that nothing tagged as the environment's is left.
author:
  - illustra.webstack developers (@illustra)
options:
  project:
    description: Project tag value to match.
    type: str
  environment:
    description: Environment tag value to match.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Only reads.
"""

EXAMPLES = r"""
- name: Prove the environment is gone
  illustra.webstack.tagged_resources_info:
    project: illustra
    environment: staging
  register: left
  failed_when: left.resources | length > 0
"""

RETURN = r"""
resources:
  description: ARNs (or C(type/id) for EC2) of the live resources found, sorted.
  returned: always
  type: list
  elements: str
  sample: ["arn:aws:s3:::illustra-staging-frontend", "vpc/vpc-0123456789abcdef0"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._tagged import find_tagged

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(project=dict(type="str"), environment=dict(type="str")),
        supports_check_mode=True,
    )
    retry = AWSRetry.jittered_backoff()
    try:
        resources = find_tagged(
            module.client("resourcegroupstaggingapi", retry_decorator=retry),
            module.client("ec2", retry_decorator=retry),
            module.params["project"],
            module.params["environment"],
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to list tagged resources")
    module.exit_json(changed=False, resources=resources)


if __name__ == "__main__":
    main()
