"""cloudwatch_alarms: the PutMetricAlarm request, the comparison with DescribeAlarms output, and the plan."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudwatch as cw

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
SPEC = dict(
    name="p-cpu",
    namespace="AWS/EC2",
    metric_name="CPUUtilization",
    statistic="Average",
    dimensions={"AutoScalingGroupName": "app"},
    period=300,
    evaluation_periods=2,
    threshold=80,
    comparison="GreaterThanThreshold",
    treat_missing_data="missing",
    description="cpu",
)


def _described(req):
    """What DescribeAlarms returns for an alarm stored from ``req`` (AWS adds ARNs, state, timestamps)."""
    out = dict(req, AlarmArn="arn:aws:cloudwatch:us-east-1:1:alarm:" + req["AlarmName"], StateValue="OK")
    out["Dimensions"] = list(reversed(req["Dimensions"]))
    return out


def test_request_shape():
    req = cw.alarm_request(SPEC, [TOPIC])
    assert req["AlarmActions"] == [TOPIC] and req["OKActions"] == [TOPIC]
    assert req["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "app"}]
    assert req["Threshold"] == 80.0 and req["Statistic"] == "Average" and "ExtendedStatistic" not in req
    assert cw.alarm_request(dict(SPEC, statistic="p99"), [])["ExtendedStatistic"] == "p99"
    assert cw.alarm_request(dict(SPEC, alarm_actions=[]), [TOPIC])["AlarmActions"] == []


def test_unchanged_alarm_is_not_updated():
    req = cw.alarm_request(SPEC, [TOPIC])
    assert cw.plan_alarms([req], [_described(req)]) == ([], [], [])


@pytest.mark.parametrize(
    "change",
    [
        {"threshold": 90},
        {"evaluation_periods": 3},
        {"dimensions": {"AutoScalingGroupName": "other"}},
        {"comparison": "GreaterThanOrEqualToThreshold"},
        {"treat_missing_data": "notBreaching"},
        {"alarm_actions": []},
    ],
)
def test_changed_alarm_is_updated(change):
    old = cw.alarm_request(SPEC, [TOPIC])
    new = cw.alarm_request(dict(SPEC, **change), [TOPIC])
    assert cw.plan_alarms([new], [_described(old)]) == ([], ["p-cpu"], [])


def test_create_and_purge():
    keep = cw.alarm_request(SPEC, [TOPIC])
    new = cw.alarm_request(dict(SPEC, name="p-5xx"), [TOPIC])
    stale = _described(cw.alarm_request(dict(SPEC, name="p-old"), [TOPIC]))
    assert cw.plan_alarms([keep, new], [_described(keep), stale]) == (["p-5xx"], [], ["p-old"])
    assert cw.plan_alarms([keep, new], [_described(keep), stale], purge=False) == (["p-5xx"], [], [])


def test_summary():
    summary = cw.alarm_summary(_described(cw.alarm_request(SPEC, [TOPIC])))
    assert summary["dimensions"] == {"AutoScalingGroupName": "app"}
    assert summary["threshold"] == 80.0 and summary["alarm_actions"] == [TOPIC]


# ---- regions: metrics of global services exist in us-east-1 only; alarms notify topics of their own region

REGIONAL_TOPIC = "arn:aws:sns:{}:123456789012:illustra-prod-alerts"


def _alarm(namespace, region):
    spec = {
        "name": "p-x",
        "namespace": namespace,
        "metric_name": "m",
        "threshold": 1,
        "comparison": "GreaterThanThreshold",
    }
    return cw.alarm_request(spec, [REGIONAL_TOPIC.format(region)])


@pytest.mark.parametrize("namespace", ["AWS/CloudFront", "AWS/Billing", "AWS/Route53"])
def test_global_metric_alarms_belong_in_us_east_1(namespace):
    assert cw.region_problems([_alarm(namespace, "us-east-1")], "us-east-1") == []
    (problem,) = cw.region_problems([_alarm(namespace, "eu-west-1")], "eu-west-1")
    assert f"watches {namespace}, whose metrics exist only in us-east-1" in problem


def test_an_alarm_notifies_only_a_topic_of_its_own_region():
    assert cw.region_problems([_alarm("AWS/ApplicationELB", "eu-west-1")], "eu-west-1") == []
    problems = cw.region_problems([_alarm("AWS/CloudFront", "eu-west-1")], "us-east-1")
    assert len(problems) == 2  # ALARM and OK actions
    assert all("can only notify an SNS topic of its own region (us-east-1)" in p for p in problems)
