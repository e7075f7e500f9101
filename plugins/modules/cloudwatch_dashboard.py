#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Manage a CloudWatch dashboard
version_added: 0.1.0
description:
  - Creates, updates or deletes a CloudWatch dashboard.
  - The body is compared as parsed JSON (key order and whitespace do not matter), so an unchanged
    dashboard reports no change.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Dashboard name.
    type: str
    required: true
  state:
    description: Whether the dashboard exists.
    type: str
    choices: [present, absent]
    default: present
  body:
    description:
      - The dashboard body (a dict, or JSON text) with a V(widgets) list. Required when O(state=present).
    type: raw
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows the parsed body before and after.
notes:
  - CloudWatch dashboards cannot carry tags; discovery and teardown go by name.
"""

EXAMPLES = r"""
- name: Keep the environment's dashboard
  illustra.webstack.cloudwatch_dashboard:
    name: illustra-prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Backend CPU
            region: us-east-1
            metrics: [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "illustra-prod-app"]]

- name: Remove the dashboard
  illustra.webstack.cloudwatch_dashboard:
    name: illustra-dev
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard after the run (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: Dashboard name.
      type: str
      sample: illustra-prod
    arn:
      description: Dashboard ARN (when it exists).
      type: str
    body:
      description: The parsed body.
      type: dict
validation_messages:
  description: Messages CloudWatch returned when the body was stored.
  returned: when the dashboard was written
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import canonical_body
from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import dashboard_differs
from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import parse_body


class DashboardErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["ResourceNotFound", "ResourceNotFoundException"])


_retry = AWSRetry.jittered_backoff(retries=8)


@DashboardErrorHandler.list_error_handler("read the dashboard")
def get_dashboard(client, name):
    return _retry(client.get_dashboard)(DashboardName=name)


@DashboardErrorHandler.common_error_handler("write the dashboard")
def put_dashboard(client, name, body_text):
    return _retry(client.put_dashboard)(DashboardName=name, DashboardBody=body_text).get(
        "DashboardValidationMessages", []
    )


@DashboardErrorHandler.deletion_error_handler("delete the dashboard")
def delete_dashboard(client, name):
    _retry(client.delete_dashboards)(DashboardNames=[name])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            body=dict(type="raw"),
        ),
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )
    p = module.params
    desired = None
    if p["state"] == "present":
        try:
            desired = parse_body(p["body"])
        except ValueError as e:
            module.fail_json(msg=f"body: {e}")
        if not isinstance(desired.get("widgets"), list):
            module.fail_json(msg="body: a dashboard body needs a 'widgets' list")

    client = module.client("cloudwatch")
    result = dict(changed=False)
    try:
        current = get_dashboard(client, p["name"])
        before = parse_body(current["DashboardBody"]) if current else {}
        if p["state"] == "present":
            if dashboard_differs(desired, current["DashboardBody"] if current else None):
                result["changed"] = True
                if not module.check_mode:
                    result["validation_messages"] = put_dashboard(client, p["name"], canonical_body(desired))
                    current = get_dashboard(client, p["name"]) or current
            after = desired
            result["dashboard"] = dict(name=p["name"], arn=(current or {}).get("DashboardArn", ""), body=desired)
        else:
            after = {}
            if current:
                result["changed"] = True
                if not module.check_mode:
                    delete_dashboard(client, p["name"])
            result["dashboard"] = {}
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
