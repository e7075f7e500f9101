"""autoscaling_release on botocore's Stubber, with responses shaped like real AWS ones.

Each path of the module in isolation (wait, conflict, settle, rollback, cancel, timeout, throttling,
errors). The same paths run against the emulator's instance refresh model (tools/emulator_refresh.py)
in tests/integration/test_backend_infra.py.
"""

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.modules import autoscaling_release as mod
from botocore.stub import Stubber

NAME = "illustra-prod-backend"
LT = "lt-0a20c965061f64abc"
ARN_PREFIX = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/"
START = datetime.datetime(2026, 11, 22, 3, 0, tzinfo=datetime.UTC)


PARAMS = {
    "name": NAME,
    "state": "refreshed",
    "launch_template_id": LT,
    "version": 7,
    "min_healthy_percentage": 100,
    "max_healthy_percentage": 200,
    "instance_warmup": 120,
    "checkpoint_percentages": [50, 100],
    "checkpoint_delay": 300,
    "auto_rollback": True,
    "wait": True,
    "wait_timeout": 3600,
    "poll_interval": 15,
}


def start_request(version):
    """StartInstanceRefresh for PARAMS towards a launch template version, written out."""
    return {
        "AutoScalingGroupName": NAME,
        "Strategy": "Rolling",
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": LT, "Version": version}},
        "Preferences": {
            "MinHealthyPercentage": 100,
            "MaxHealthyPercentage": 200,
            "InstanceWarmup": 120,
            "SkipMatching": True,
            "AutoRollback": True,
            "ScaleInProtectedInstances": "Wait",
            "StandbyInstances": "Wait",
            "CheckpointPercentages": [50, 100],
            "CheckpointDelay": 300,
        },
    }


@pytest.fixture
def make_module(fake_module):
    """A release module with PARAMS, overridden by keyword: make_module(state="rolled_back", check_mode=True)."""

    def make(check_mode=False, **params):
        return fake_module(dict(PARAMS, **params), check_mode=check_mode)

    make.Failed = fake_module.Failed
    return make


@pytest.fixture(autouse=True)
def no_poll_wait(monkeypatch):
    """The module's own wait between DescribeInstanceRefreshes calls returns at once."""
    monkeypatch.setattr(mod.time, "sleep", lambda _seconds: None)


@pytest.fixture
def asg():
    client = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def group(version, instance_versions):
    return {
        "AutoScalingGroups": [
            {
                "AutoScalingGroupName": NAME,
                "AutoScalingGroupARN": ARN_PREFIX + NAME,
                "LaunchTemplate": {"LaunchTemplateId": LT, "LaunchTemplateName": NAME, "Version": str(version)},
                "MinSize": 2,
                "MaxSize": 4,
                "DesiredCapacity": 2,
                "DefaultCooldown": 300,
                "AvailabilityZones": ["us-east-1a", "us-east-1b"],
                "HealthCheckType": "ELB",
                "HealthCheckGracePeriod": 300,
                "CreatedTime": START,
                "Instances": [
                    {
                        "InstanceId": f"i-0{n}",
                        "InstanceType": "t3.medium",
                        "AvailabilityZone": "us-east-1a",
                        "LifecycleState": "InService",
                        "HealthStatus": "Healthy",
                        "LaunchTemplate": {"LaunchTemplateId": LT, "LaunchTemplateName": NAME, "Version": str(v)},
                        "ProtectedFromScaleIn": False,
                    }
                    for n, v in enumerate(instance_versions)
                ],
            }
        ]
    }


def refresh(rid, status, version, pct=0, *, reason=None, rollback=None):
    r = {
        "InstanceRefreshId": rid,
        "AutoScalingGroupName": NAME,
        "Status": status,
        "StartTime": START,
        "PercentageComplete": pct,
        "InstancesToUpdate": 2 - (2 * pct) // 100,
        "Preferences": {
            "MinHealthyPercentage": 100,
            "MaxHealthyPercentage": 200,
            "AutoRollback": True,
            "SkipMatching": True,
        },
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": LT, "Version": str(version)}},
    }
    if reason:
        r["StatusReason"] = reason
    if rollback:
        r["RollbackDetails"] = {
            "RollbackReason": rollback,
            "RollbackStartTime": START,
            "PercentageCompleteOnRollback": 50,
        }
    return r


def describe(stub, *refreshes):
    stub.add_response(
        "describe_instance_refreshes",
        {"InstanceRefreshes": list(refreshes)},
        {"AutoScalingGroupName": NAME, "MaxRecords": 5},
    )


def test_release_starts_refresh_with_pinned_version_and_waits_for_success(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-old", "Successful", 6, 100))
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-new"}, start_request("7"))
    describe(stub, refresh("r-new", "Pending", 7), refresh("r-old", "Successful", 6, 100))
    describe(stub, refresh("r-new", "InProgress", 7, 50), refresh("r-old", "Successful", 6, 100))
    describe(stub, refresh("r-new", "Successful", 7, 100), refresh("r-old", "Successful", 6, 100))
    result = mod.run(make_module(), client)
    assert result["changed"] is True
    assert result["instance_refresh"]["instance_refresh_id"] == "r-new"
    assert result["instance_refresh"]["status"] == "Successful"
    assert [s["status"] for s in result["instance_refresh"]["statuses"]] == ["Pending", "InProgress", "Successful"]
    assert result["launch_template_version"] == "7"


def test_release_reports_each_checkpoint_it_waited_at(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub)
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-new"})
    waiting = "Checkpoint 50% reached: 50% of the instances are replaced. Waiting 300 seconds."
    describe(stub, refresh("r-new", "InProgress", 7, 0))
    describe(stub, refresh("r-new", "InProgress", 7, 50, reason=waiting))
    describe(stub, refresh("r-new", "InProgress", 7, 50, reason=waiting))
    describe(stub, refresh("r-new", "Successful", 7, 100))
    result = mod.run(make_module(), client)
    assert result["instance_refresh"]["statuses"] == [
        {"status": "InProgress"},
        {"status": "InProgress", "status_reason": waiting},
        {"status": "Successful"},
    ]


def test_terminating_instances_do_not_make_the_group_look_unreleased(asg, make_module):
    client, stub = asg
    draining = group(7, [7, 7, 6])
    draining["AutoScalingGroups"][0]["Instances"][2]["LifecycleState"] = "Terminating"
    stub.add_response("describe_auto_scaling_groups", draining, {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "Successful", 7, 100))
    result = mod.run(make_module(), client)
    assert result["changed"] is False and result["actions"] == []


def test_an_automatic_rollback_under_way_is_waited_for_then_the_group_is_on_the_version(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-bad", "RollbackInProgress", 7, 0, rollback="Automatic rollback"))
    describe(stub, refresh("r-bad", "RollbackSuccessful", 7, 0, rollback="Automatic rollback"))
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    result = mod.run(make_module(state="rolled_back", version=6), client)
    assert result["changed"] is True
    assert result["actions"] == ["wait for instance refresh r-bad to finish its rollback or cancellation"]
    assert result["instance_refresh"]["status"] == "RollbackSuccessful"


def test_release_already_running_the_version_changes_nothing(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(7, [7, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "Successful", 7, 100))
    result = mod.run(make_module(), client)
    assert result["changed"] is False and result["actions"] == []


def test_rerun_after_timeout_waits_for_the_same_refresh_instead_of_starting_another(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "InProgress", 7, 50))
    describe(stub, refresh("r-new", "Successful", 7, 100))
    result = mod.run(make_module(), client)
    assert result["actions"] == ["wait for instance refresh r-new"]
    assert result["instance_refresh"]["status"] == "Successful"


def test_failed_refresh_that_rolled_back_fails_the_task_with_the_reason(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub)
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-bad"})
    describe(
        stub,
        refresh(
            "r-bad",
            "RollbackInProgress",
            7,
            50,
            reason="Instances failed ELB health checks",
            rollback="Automatic rollback",
        ),
    )
    describe(
        stub,
        refresh(
            "r-bad",
            "RollbackSuccessful",
            7,
            100,
            reason="Instances failed ELB health checks",
            rollback="Automatic rollback",
        ),
    )
    with pytest.raises(make_module.Failed) as err:
        mod.run(make_module(), client)
    failure = err.value.kwargs
    assert "RollbackSuccessful" in failure["msg"] and "ELB health checks" in failure["msg"]
    assert "back on its previous launch template version" in failure["msg"]
    assert [s["status"] for s in failure["instance_refresh"]["statuses"]] == [
        "RollbackInProgress",
        "RollbackSuccessful",
    ]
    assert failure["instance_refresh"]["rollback_reason"] == "Automatic rollback"
    assert failure["changed"] is True


def test_refresh_towards_another_version_is_a_conflict(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 8]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-other", "InProgress", 8, 50))
    with pytest.raises(make_module.Failed, match="another launch template version"):
        mod.run(make_module(), client)


def test_rollback_rolls_back_the_refresh_under_way_then_is_done(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "InProgress", 7, 50))
    stub.add_response("rollback_instance_refresh", {"InstanceRefreshId": "r-new"}, {"AutoScalingGroupName": NAME})
    describe(stub, refresh("r-new", "RollbackSuccessful", 7, 100, rollback="Manual rollback"))
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    result = mod.run(make_module(state="rolled_back", version=6), client)
    assert result["changed"] is True
    assert result["actions"] == ["roll back instance refresh r-new"]
    assert result["instance_refresh"]["status"] == "RollbackSuccessful"


def test_rollback_after_a_successful_bad_release_refreshes_to_last_good(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(7, [7, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "Successful", 7, 100))
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-back"}, start_request("6"))
    describe(stub, refresh("r-back", "Successful", 6, 100))
    result = mod.run(make_module(state="rolled_back", version=6), client)
    assert result["actions"] == ["start instance refresh to version 6"]
    assert result["instance_refresh"]["instance_refresh_id"] == "r-back"


def test_check_mode_starts_nothing(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub)
    result = mod.run(make_module(check_mode=True), client)
    assert result["changed"] is True
    assert result["actions"] == ["start instance refresh to version 7"]


def test_timeout_reports_progress(asg, make_module):
    client, stub = asg
    clock = iter([0, 10, 4000])
    describe(stub, refresh("r-new", "InProgress", 7, 50))
    describe(stub, refresh("r-new", "InProgress", 7, 50))
    with pytest.raises(make_module.Failed) as err:
        mod.wait_for_refresh(make_module(), client, NAME, "r-new", sleep=lambda _s: None, clock=lambda: next(clock))
    assert "Timeout" in err.value.kwargs["msg"] and "50% complete" in err.value.kwargs["msg"]


def test_cancel(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 7]), {"AutoScalingGroupNames": [NAME]})
    describe(stub, refresh("r-new", "InProgress", 7, 50))
    stub.add_response("cancel_instance_refresh", {"InstanceRefreshId": "r-new"}, {"AutoScalingGroupName": NAME})
    describe(stub, refresh("r-new", "Cancelled", 7, 50))
    result = mod.run(make_module(state="cancelled"), client)
    assert result["instance_refresh"]["status"] == "Cancelled"


def test_start_retries_throttling(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub)
    stub.add_client_error("start_instance_refresh", "Throttling", http_status_code=400)
    stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-new"})
    describe(stub, refresh("r-new", "Successful", 7, 100))
    assert mod.run(make_module(), client)["instance_refresh"]["status"] == "Successful"


def test_start_errors_are_surfaced(asg, make_module):
    client, stub = asg
    stub.add_response("describe_auto_scaling_groups", group(6, [6, 6]), {"AutoScalingGroupNames": [NAME]})
    describe(stub)
    stub.add_client_error(
        "start_instance_refresh",
        "InstanceRefreshInProgress",
        "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
        http_status_code=400,
    )
    with pytest.raises(AnsibleAWSError, match="start instance refresh"):
        mod.run(make_module(), client)
