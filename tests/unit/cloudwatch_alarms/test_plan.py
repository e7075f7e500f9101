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
