"""autoscaling_release planning: when to start, wait, roll back; outcomes; refresh preferences."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _autoscaling_web as aw

LT = "lt-0a20c965061f64abc"


def group(version, instance_versions):
    return {
        "AutoScalingGroupName": "illustra-prod-backend",
        "LaunchTemplate": {
            "LaunchTemplateId": LT,
            "LaunchTemplateName": "illustra-prod-backend",
            "Version": str(version),
        },
        "Instances": [
            {"InstanceId": f"i-{n}", "LaunchTemplate": {"LaunchTemplateId": LT, "Version": str(v)}}
            for n, v in enumerate(instance_versions)
        ],
    }


def refresh(status, version, rid="r-1"):
    return {
        "InstanceRefreshId": rid,
        "Status": status,
        "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateId": LT, "Version": str(version)}},
    }


@pytest.mark.parametrize(
    "grp, refreshes, state, expect",
    [
        (group(3, [3, 3]), [], "refreshed", ("none", None)),
        (group(3, [3, 3]), [refresh("Successful", 3)], "refreshed", ("none", None)),
        (group(2, [2, 2]), [], "refreshed", ("start", None)),
        # Config already on 3 but one instance still on 2 (e.g. launched before a manual change).
        (group(3, [3, 2]), [], "refreshed", ("start", None)),
        (group(2, [2, 3]), [refresh("InProgress", 3)], "refreshed", ("wait", "r-1")),
        (group(2, [2, 3]), [refresh("Baking", 3)], "refreshed", ("wait", "r-1")),
        (group(2, [2, 4]), [refresh("InProgress", 4)], "refreshed", ("conflict", "r-1")),
        (group(2, [2, 4]), [refresh("InProgress", 4)], "rolled_back", ("rollback", "r-1")),
        (group(4, [4, 4]), [refresh("Successful", 4)], "rolled_back", ("start", None)),
        (group(2, [2, 2]), [refresh("RollbackSuccessful", 4)], "rolled_back", ("none", None)),
        # A rollback or a cancellation ends by itself: wait for it, then plan again.
        (group(2, [2, 4]), [refresh("RollbackInProgress", 4)], "rolled_back", ("settle", "r-1")),
        (group(2, [2, 4]), [refresh("RollbackInProgress", 4)], "refreshed", ("settle", "r-1")),
        (group(2, [2, 3]), [refresh("Cancelling", 3)], "refreshed", ("settle", "r-1")),
    ],
)
def test_plan_refresh(grp, refreshes, state, expect):
    version = 2 if state == "rolled_back" else 3
    assert aw.plan_refresh(grp, refreshes, LT, version, state) == expect


@pytest.mark.parametrize(
    "status, outcome",
    [
        ("Successful", "success"),
        ("Pending", "active"),
        ("InProgress", "active"),
        ("Baking", "active"),
        ("RollbackInProgress", "active"),
        ("Failed", "failed"),
        ("Cancelled", "failed"),
        ("RollbackSuccessful", "failed"),
        ("RollbackFailed", "failed"),
    ],
)
def test_refresh_outcome(status, outcome):
    assert aw.refresh_outcome(refresh(status, 3))[0] == outcome


def test_terminating_instances_are_not_off_version():
    grp = group(3, [3, 2])
    grp["Instances"][1]["LifecycleState"] = "Terminating"
    assert aw.instances_off_version(grp, LT, 3) == []
    grp["Instances"][1]["LifecycleState"] = "InService"
    assert aw.instances_off_version(grp, LT, 3) == ["i-1"]


@pytest.mark.parametrize(
    "status, meaning",
    [
        ("Failed", "auto rollback was off"),
        ("Cancelled", "keep the new version"),
        ("RollbackSuccessful", "back on its previous launch template version"),
        ("RollbackFailed", "needs attention"),
    ],
)
def test_each_ending_says_what_it_means_for_the_group(status, meaning):
    assert meaning in aw.refresh_outcome(refresh(status, 3))[1]


def test_an_active_refresh_reports_its_reason():
    r = dict(refresh("InProgress", 3), PercentageComplete=50, InstancesToUpdate=1, StatusReason="Waiting for ...")
    assert aw.refresh_outcome(r) == (
        "active",
        "instance refresh r-1 is InProgress (50% complete, 1 instances to update): Waiting for ...",
    )


def test_failed_outcome_names_the_reason_and_rollback():
    r = dict(
        refresh("RollbackSuccessful", 3),
        StatusReason="Instance refresh failed: instances failed ELB health checks",
        RollbackDetails={"RollbackReason": "Automatic rollback: instance refresh failed"},
    )
    outcome, message = aw.refresh_outcome(r)
    assert outcome == "failed"
    assert "RollbackSuccessful" in message and "ELB health checks" in message and "Automatic rollback" in message


def refresh_params(**kw):
    p = {
        "min_healthy_percentage": 100,
        "max_healthy_percentage": 200,
        "instance_warmup": 120,
        "checkpoint_percentages": [],
        "checkpoint_delay": None,
        "auto_rollback": True,
    }
    p.update(kw)
    return p


def test_preferences_default_to_launch_before_terminate_with_rollback():
    prefs = aw.refresh_preferences(refresh_params())
    assert prefs == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 200,
        "InstanceWarmup": 120,
        "SkipMatching": True,
        "AutoRollback": True,
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }


def test_preferences_with_checkpoints():
    prefs = aw.refresh_preferences(refresh_params(checkpoint_percentages=[100, 50], checkpoint_delay=300))
    assert prefs["CheckpointPercentages"] == [50, 100]
    assert prefs["CheckpointDelay"] == 300


@pytest.mark.parametrize(
    "kw, message",
    [
        ({}, None),
        ({"checkpoint_percentages": [50, 100]}, None),
        ({"checkpoint_percentages": [50, 90]}, "end with 100"),
        ({"checkpoint_percentages": [50, 50, 100]}, "unique"),
        ({"min_healthy_percentage": 120}, "0..100"),
        ({"max_healthy_percentage": 0}, None),
        ({"max_healthy_percentage": 250}, "100..200"),
        ({"min_healthy_percentage": 50, "max_healthy_percentage": 160}, "by 100 at most"),
        ({"checkpoint_percentages": [50, 100], "checkpoint_delay": 200000}, "172800"),
        ({"instance_warmup": -1}, "instance_warmup"),
        ({"poll_interval": 0}, "poll_interval must be at least 1"),
    ],
)
def test_validate_refresh(kw, message):
    result = aw.validate_refresh(refresh_params(**kw))
    assert (result is None) if message is None else (message in result)
