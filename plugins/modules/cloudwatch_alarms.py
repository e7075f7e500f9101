#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: cloudwatch_alarms
short_description: Converge a set of CloudWatch metric alarms in one call
version_added: 0.1.0
description:
  - Makes the metric alarms whose names start with O(name_prefix) exactly the list in O(alarms) -
    creates the missing ones, updates those that differ and, with O(purge=true), deletes ours that are
    no longer wanted.
  - Reads the current alarms with one paginated C(DescribeAlarms) call, so a run with nothing to change
    costs one API call whatever the number of alarms.
  - Refuses, before any call, an alarm on a metric that exists only in another region (C(AWS/CloudFront),
    C(AWS/Route53) and C(AWS/Billing) metrics exist only in C(us-east-1)) and an SNS action in another
    region (an alarm can only notify a topic of its own region).
author:
  - illustra.webstack developers (@illustra)
options:
  name_prefix:
    description:
      - Prefix that marks the alarms this set owns; every name in O(alarms) must start with it.
    type: str
    required: true
  alarms:
    description: The alarms wanted. Empty with O(purge=true) deletes every alarm of the prefix.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Alarm name (starts with O(name_prefix)).
        type: str
        required: true
      description:
        description: Alarm description.
        type: str
        default: ""
      namespace:
        description: Metric namespace, for example V(AWS/EC2).
        type: str
        required: true
      metric_name:
        description: Metric name, for example V(CPUUtilization).
        type: str
        required: true
      statistic:
        description: V(Average), V(Sum), V(Minimum), V(Maximum), V(SampleCount) or a percentile such as V(p99).
        type: str
        default: Average
      dimensions:
        description: Metric dimensions as a dict.
        type: dict
        default: {}
      period:
        description: Period in seconds.
        type: int
        default: 300
      evaluation_periods:
        description: Periods evaluated.
        type: int
        default: 1
      datapoints_to_alarm:
        description: Datapoints within the evaluated periods that must breach.
        type: int
      threshold:
        description: Threshold value.
        type: float
        required: true
      comparison:
        description: Comparison operator.
        type: str
        required: true
        choices:
          - GreaterThanOrEqualToThreshold
          - GreaterThanThreshold
          - LessThanThreshold
          - LessThanOrEqualToThreshold
      treat_missing_data:
        description: How missing data points are treated.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: missing
      unit:
        description: Metric unit.
        type: str
      alarm_actions:
        description: Actions on ALARM; defaults to O(default_actions).
        type: list
        elements: str
      ok_actions:
        description: Actions on OK; defaults to O(default_actions).
        type: list
        elements: str
  default_actions:
    description: Actions (usually one SNS topic ARN) for alarms that name none.
    type: list
    elements: str
    default: []
  purge:
    description: Delete alarms of O(name_prefix) that are not in O(alarms).
    type: bool
    default: true
  tags:
    description: Tags set on alarms when they are created.
    type: dict
    default: {}
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
    description: Shows the alarms of the prefix before and after.
notes:
  - Tags are applied when an alarm is created; existing alarms' tags are not compared.
"""

EXAMPLES = r"""
- name: Keep the environment's alarms
  illustra.webstack.cloudwatch_alarms:
    name_prefix: illustra-prod-
    default_actions: ["{{ topic_arn }}"]
    tags: {Project: illustra, Environment: prod, ManagedBy: illustra.webstack}
    alarms:
      - name: illustra-prod-asg-cpu-high
        namespace: AWS/EC2
        metric_name: CPUUtilization
        dimensions: {AutoScalingGroupName: illustra-prod-app}
        evaluation_periods: 2
        threshold: 80
        comparison: GreaterThanThreshold
"""

RETURN = r"""
alarms:
  description: The alarms of the prefix after the run (as planned, in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "illustra-prod-asg-cpu-high", "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
            "statistic": "Average", "dimensions": {"AutoScalingGroupName": "illustra-prod-app"}, "period": 300,
            "evaluation_periods": 2, "threshold": 80.0, "comparison": "GreaterThanThreshold",
            "treat_missing_data": "missing", "alarm_actions": []}]
created:
  description: Names of alarms created.
  returned: always
  type: list
  elements: str
updated:
  description: Names of alarms updated.
  returned: always
  type: list
  elements: str
deleted:
  description: Names of alarms deleted.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import alarm_request
from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import alarm_summary
from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import plan_alarms
from ansible_collections.illustra.webstack.plugins.module_utils._cloudwatch import region_problems


class CloudWatchErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFound")


_retry = AWSRetry.jittered_backoff(retries=8)


@CloudWatchErrorHandler.list_error_handler("describe the alarms", default_value=[])
def describe_alarms(client, prefix):
    alarms = []
    kwargs = dict(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"])
    while True:
        page = _retry(client.describe_alarms)(**kwargs)
        alarms.extend(page.get("MetricAlarms", []))
        if not page.get("NextToken"):
            return alarms
        kwargs["NextToken"] = page["NextToken"]


@CloudWatchErrorHandler.common_error_handler("put an alarm")
def put_alarm(client, request, tags=None):
    kwargs = dict(request)
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    _retry(client.put_metric_alarm)(**kwargs)


@CloudWatchErrorHandler.deletion_error_handler("delete alarms")
def delete_alarms(client, names):
    for start in range(0, len(names), 100):  # DeleteAlarms takes at most 100 names
        _retry(client.delete_alarms)(AlarmNames=names[start : start + 100])


def main():
    alarm_options = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        namespace=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        statistic=dict(type="str", default="Average"),
        dimensions=dict(type="dict", default={}),
        period=dict(type="int", default=300),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        threshold=dict(type="float", required=True),
        comparison=dict(
            type="str",
            required=True,
            choices=[
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
            ],
        ),
        treat_missing_data=dict(
            type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"
        ),
        unit=dict(type="str"),
        alarm_actions=dict(type="list", elements="str"),
        ok_actions=dict(type="list", elements="str"),
    )
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        alarms=dict(type="list", elements="dict", default=[], options=alarm_options),
        default_actions=dict(type="list", elements="str", default=[]),
        purge=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if not p["name_prefix"]:
        module.fail_json(msg="name_prefix must not be empty: it decides which alarms this set owns and may purge")
    wrong = [a["name"] for a in p["alarms"] if not a["name"].startswith(p["name_prefix"])]
    if wrong:
        module.fail_json(msg="alarm names must start with name_prefix {!r}: {}".format(p["name_prefix"], wrong))

    desired = [alarm_request(a, p["default_actions"]) for a in p["alarms"]]
    problems = region_problems(desired, module.region)
    if problems:
        module.fail_json(msg="; ".join(problems))
    client = module.client("cloudwatch")
    try:
        current = describe_alarms(client, p["name_prefix"])
        to_create, to_update, to_delete = plan_alarms(desired, current, p["purge"])
        if not module.check_mode:
            by_name = {a["AlarmName"]: a for a in desired}
            for name in to_create:
                put_alarm(client, by_name[name], p["tags"])
            for name in to_update:
                put_alarm(client, by_name[name])
            if to_delete:
                delete_alarms(client, to_delete)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    before = sorted((alarm_summary(a) for a in current), key=lambda a: a["name"])
    kept = [a for a in current if a["AlarmName"] not in to_delete and a["AlarmName"] not in to_update]
    after_raw = kept + [a for a in desired if a["AlarmName"] in to_create or a["AlarmName"] in to_update]
    after = sorted((alarm_summary(a) for a in after_raw), key=lambda a: a["name"])
    result = dict(
        changed=bool(to_create or to_update or to_delete),
        alarms=after,
        created=to_create,
        updated=to_update,
        deleted=to_delete,
    )
    if module._diff:
        result["diff"] = dict(before=dict(alarms=before), after=dict(alarms=after))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
