#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: account_info
short_description: The AWS account, partition and identity the credentials belong to
version_added: 0.1.0
description:
  - Returns the account id, partition and caller identity of the credentials in use, with one
    C(sts:GetCallerIdentity) call (which needs no permission). Roles scope names and policies to the account with it.
  - Unlike M(amazon.aws.aws_caller_info) it does not look up the account alias (one IAM call fewer, and none that
    a least-privilege deploy role is refused).
author:
  - illustra.webstack developers (@illustra)
options: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reads only; runs in check mode too.
  diff_mode:
    support: none
    description: It changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: Find the account names and policies are scoped to
  illustra.webstack.account_info:
  register: caller

- name: Name a bucket after it
  ansible.builtin.debug:
    msg: "illustra-prod-artifacts-{{ caller.account }}"
"""

RETURN = r"""
account:
  description: The account id.
  returned: always
  type: str
  sample: "123456789012"
partition:
  description: The partition (aws, aws-cn, aws-us-gov, ...), from the caller's ARN.
  returned: always
  type: str
  sample: aws
arn:
  description: The caller's ARN.
  returned: always
  type: str
  sample: arn:aws:sts::123456789012:assumed-role/illustra-prod-deploy/ci
user_id:
  description: The caller's user id.
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


class STSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError


@STSErrorHandler.common_error_handler("find the caller's identity")
@AWSRetry.jittered_backoff(retries=8)
def caller_identity(client):
    return client.get_caller_identity()


def main():
    module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)
    try:
        identity = caller_identity(module.client("sts"))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(
        changed=False,
        account=identity["Account"],
        partition=identity["Arn"].split(":")[1],
        arn=identity["Arn"],
        user_id=identity["UserId"],
    )


if __name__ == "__main__":
    main()
