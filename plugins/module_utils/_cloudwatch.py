# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudWatch alarms and dashboards: pure planning for ``cloudwatch_alarms`` and ``cloudwatch_dashboard``."""

import json

# Alarm fields we set and compare, in PutMetricAlarm's spelling.
ALARM_FIELDS = (
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Unit",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
)
LIST_FIELDS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def alarm_request(spec, default_actions):
    """PutMetricAlarm parameters from one entry of the module's ``alarms`` option."""
    actions = spec.get("alarm_actions")
    if actions is None:
        actions = default_actions
    ok_actions = spec.get("ok_actions")
    if ok_actions is None:
        ok_actions = default_actions
    req = {
        "AlarmName": spec["name"],
        "AlarmDescription": spec.get("description") or "",
        "Namespace": spec["namespace"],
        "MetricName": spec["metric_name"],
        "Dimensions": sorted(
            ({"Name": k, "Value": str(v)} for k, v in (spec.get("dimensions") or {}).items()),
            key=lambda d: d["Name"],
        ),
        "Period": int(spec.get("period") or 300),
        "EvaluationPeriods": int(spec.get("evaluation_periods") or 1),
        "Threshold": float(spec["threshold"]),
        "ComparisonOperator": spec["comparison"],
        "TreatMissingData": spec.get("treat_missing_data") or "missing",
        "ActionsEnabled": True,
        "AlarmActions": sorted(set(a for a in actions if a)),
        "OKActions": sorted(set(a for a in ok_actions if a)),
        "InsufficientDataActions": [],
    }
    statistic = spec.get("statistic") or "Average"
    if statistic.startswith("p"):
        req["ExtendedStatistic"] = statistic
    else:
        req["Statistic"] = statistic
    if spec.get("datapoints_to_alarm"):
        req["DatapointsToAlarm"] = int(spec["datapoints_to_alarm"])
    if spec.get("unit"):
        req["Unit"] = spec["unit"]
    return req


# Namespaces whose metrics CloudWatch publishes in one region only, whatever region the resource serves:
# CloudFront's and Route 53's (global services) and the billing metrics, all in us-east-1.
GLOBAL_METRIC_REGIONS = {"AWS/CloudFront": "us-east-1", "AWS/Route53": "us-east-1", "AWS/Billing": "us-east-1"}


def region_problems(requests, region):
    """What would make these alarms useless in `region`, one sentence each (empty when none).

    An alarm on a metric that exists only in another region never leaves INSUFFICIENT_DATA, and an
    alarm can only notify an SNS topic of its own region.
    """
    problems = []
    for req in requests:
        home = GLOBAL_METRIC_REGIONS.get(req["Namespace"])
        if home and home != region:
            problems.append(
                f"alarm {req['AlarmName']} watches {req['Namespace']}, whose metrics exist only in {home}: "
                f"create it with region {home}"
            )
        for field in LIST_FIELDS:
            for action in req.get(field) or []:
                parts = action.split(":")
                if len(parts) > 3 and parts[2] == "sns" and parts[3] != region:
                    problems.append(
                        f"alarm {req['AlarmName']} notifies {action}: an alarm can only notify an SNS topic of its own "
                        f"region ({region}); use a topic in {region}"
                    )
    return problems


def _comparable(alarm):
    out = {}
    for field in ALARM_FIELDS:
        value = alarm.get(field)
        if field == "Dimensions":
            value = sorted(({"Name": d["Name"], "Value": d["Value"]} for d in value or []), key=lambda d: d["Name"])
        elif field in LIST_FIELDS:
            value = sorted(value or [])
        elif field in ("Threshold",):
            value = float(value) if value is not None else None
        elif field == "AlarmDescription":
            value = value or ""
        elif field == "TreatMissingData":
            value = value or "missing"
        elif field == "ActionsEnabled":
            value = True if value is None else bool(value)
        out[field] = value
    return out


def alarm_differs(desired, current):
    return _comparable(desired) != _comparable(current)


def plan_alarms(desired, current, purge=True):
    """Alarms to put (create or update) and to delete.

    ``desired`` are PutMetricAlarm requests, ``current`` the MetricAlarms that DescribeAlarms returned
    for our name prefix. Returns (to_create, to_update, to_delete) as lists of names, sorted.
    """
    current_by_name = {a["AlarmName"]: a for a in current}
    desired_by_name = {a["AlarmName"]: a for a in desired}
    to_create = sorted(n for n in desired_by_name if n not in current_by_name)
    to_update = sorted(
        n for n in desired_by_name if n in current_by_name and alarm_differs(desired_by_name[n], current_by_name[n])
    )
    to_delete = sorted(n for n in current_by_name if n not in desired_by_name) if purge else []
    return to_create, to_update, to_delete


def alarm_summary(alarm):
    """The snake_case view of an alarm for results and diff."""
    c = _comparable(alarm)
    return {
        "name": alarm["AlarmName"],
        "namespace": c["Namespace"],
        "metric_name": c["MetricName"],
        "statistic": c["Statistic"] or c["ExtendedStatistic"],
        "dimensions": dict((d["Name"], d["Value"]) for d in c["Dimensions"]),
        "period": c["Period"],
        "evaluation_periods": c["EvaluationPeriods"],
        "threshold": c["Threshold"],
        "comparison": c["ComparisonOperator"],
        "treat_missing_data": c["TreatMissingData"],
        "alarm_actions": c["AlarmActions"],
    }


def parse_body(body):
    """A dashboard body (dict or JSON text) as a dict; raises ValueError with a useful message."""
    if isinstance(body, dict):
        return body
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError) as e:
        raise ValueError(f"body is not valid JSON: {e}") from None
    if not isinstance(parsed, dict):
        raise ValueError("body must be a JSON object with a 'widgets' list")
    return parsed


def canonical_body(body):
    """Stable JSON text of a dashboard body: the comparison ignores key order and whitespace."""
    return json.dumps(parse_body(body), sort_keys=True, separators=(",", ":"))


def dashboard_differs(desired, current_text):
    if current_text is None:
        return True
    try:
        return canonical_body(desired) != canonical_body(current_text)
    except ValueError:
        return True
