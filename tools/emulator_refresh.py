"""Target health and instance refresh, modelled as AWS runs them (installed by emulator_patches.py).

`emulator_patches._elbv2_target_health` and `emulator_patches._autoscaling_instance_refresh` install
this model into moto; their docstrings say what AWS does, cite its documentation and give each
verdict. This module holds:

- the target health model (initial until the health checks would have passed, draining for the
  deregistration delay, a data plane's report wins over the model);
- the instance refresh state machine (Pending, InProgress in batches, checkpoints, Baking,
  Successful; Failed or an automatic rollback when health does not come; Cancelling);
- the pure batch planning (`plan_batch`, `checkpoint_cap`), unit-tested in
  tests/unit/test_emulator_patches.py;
- the harness hooks under /moto-api/webstack/ (not AWS APIs).

Time is real wall time. Progress advances on a background thread every TICK seconds and before every
Auto Scaling, ELB and EC2 request, always under LOCK, so that a describe call sees the state AWS
would show at that moment.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

LOCK = threading.RLock()
TICK = 0.5
# StartInstanceRefresh answers Pending; AWS says it "should then quickly change to InProgress".
PENDING_SECONDS = 1.0
# "One-hour timeout: when an instance refresh is unable to continue making replacements because your
# application doesn't pass health checks ... it keeps retrying for an hour ... If the problem persists
# after an hour, the operation fails." The harness may shorten it (never lengthen what AWS allows).
AWS_HEALTH_TIMEOUT = 3600.0
HEALTH_TIMEOUT_ENV = "WEBSTACK_EMULATOR_REFRESH_HEALTH_TIMEOUT"

ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
TARGET_STATES = ("initial", "healthy", "unhealthy", "unhealthy.draining", "unused", "draining", "unavailable")
TARGET_REASONS = (
    "Elb.RegistrationInProgress",
    "Elb.InitialHealthChecking",
    "Target.ResponseCodeMismatch",
    "Target.Timeout",
    "Target.FailedHealthChecks",
    "Target.NotRegistered",
    "Target.NotInUse",
    "Target.DeregistrationInProgress",
    "Target.InvalidState",
    "Target.IpUnusable",
    "Target.HealthCheckDisabled",
    "Elb.InternalError",
)

clock = time.time


def _default_health_timeout() -> float:
    value = os.environ.get(HEALTH_TIMEOUT_ENV, "")
    if not value:
        return AWS_HEALTH_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise SystemExit(f"{HEALTH_TIMEOUT_ENV} must be a number of seconds, got {value!r}") from None
    if not 0 < seconds <= AWS_HEALTH_TIMEOUT:
        raise SystemExit(f"{HEALTH_TIMEOUT_ENV} must be within 0..{AWS_HEALTH_TIMEOUT:.0f} (AWS's hour), got {value}")
    return seconds


SETTINGS = {"health_timeout": _default_health_timeout()}


# ---------------------------------------------------------------------------------------------
# Pure planning (no moto): unit-tested on their own
# ---------------------------------------------------------------------------------------------


def plan_batch(
    desired: int,
    in_service: int,
    healthy: int,
    remaining: int,
    min_pct: int,
    max_pct: int | None = None,
    unhealthy_remaining: int = 0,
    cap: int | None = None,
) -> tuple[int, int]:
    """The next batch of a rolling replacement: (launch_first, terminate_now).

    `terminate_now` old instances are terminated now and replaced at once; `launch_first` replacements
    are launched before as many old instances are terminated (once they are healthy and warmed up).

    - The healthy capacity stays at or above MinHealthyPercentage of the desired capacity, rounded up.
      Terminating an unhealthy old instance costs no healthy capacity.
    - MaxHealthyPercentage omitted: terminate and launch at the same time; 100 % minimum healthy
      replaces one instance at a time.
    - MaxHealthyPercentage set: in-service plus pending instances stay at or below it (rounded down);
      where both bounds make a replacement impossible, one instance is launched before terminating.
    - `cap` (checkpoints): never more replacements than the next checkpoint needs.
    """
    if remaining <= 0:
        return 0, 0
    min_healthy = math.ceil(desired * min_pct / 100)
    spare = healthy - min_healthy
    if max_pct is None:
        launch_first = 0
        budget = (max(1, spare) if spare >= 0 else 0) + unhealthy_remaining
    else:
        launch_first = max(0, math.floor(desired * max_pct / 100) - in_service)
        budget = max(0, spare) + unhealthy_remaining
        if launch_first + budget == 0:
            launch_first = 1
    limit = remaining if cap is None else min(remaining, max(1, cap))
    launch_first = min(launch_first, limit)
    terminate_now = min(budget, limit - launch_first)
    return launch_first, terminate_now


def checkpoint_cap(checkpoints: list[int], reached: int, replaced: int, total: int) -> int | None:
    """How many more replacements the next checkpoint allows (None without checkpoints).

    A checkpoint is reached when the replaced percentage is at or above it; "to reach a checkpoint
    percentage, Amazon EC2 Auto Scaling will sometimes replace fewer" instances than it could.
    """
    upcoming = [c for c in checkpoints[reached:] if c > percentage(replaced, total)]
    if not upcoming:
        return None
    return max(1, math.ceil(upcoming[0] * total / 100) - replaced)


def percentage(done: int, total: int) -> int:
    return 100 if total <= 0 else math.floor(100 * done / total)


# ---------------------------------------------------------------------------------------------
# Target health
# ---------------------------------------------------------------------------------------------


def _tg_state(tg) -> dict:
    state = tg.__dict__.get("_webstack_health")
    if state is None:
        state = tg._webstack_health = {"registered": {}, "draining": {}, "reports": {}, "rules": {}}
    return state


def _as_int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def deregistration_delay(tg) -> int:
    return _as_int(tg.attributes.get("deregistration_delay.timeout_seconds"), 300)


def _purge_draining(tg, now: float) -> None:
    draining = _tg_state(tg)["draining"]
    for target_id, (since, _target) in list(draining.items()):
        if now >= since + deregistration_delay(tg):
            del draining[target_id]


def _in_use(tg) -> bool:
    """Whether a listener (default action or rule) of a load balancer forwards to the target group."""
    from moto.elbv2.models import elbv2_backends  # noqa: PLC0415

    backend = elbv2_backends[tg.account_id][tg.region_name]
    for lb in backend.load_balancers.values():
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions or []:
                    if tg.arn in backend._get_target_group_arns_from(action_data=action.data):
                        return True
    return False


def registered_health(tg, target_id: str, now: float) -> tuple[str, str | None, str | None]:
    """(State, Reason, Description) of a registered target, as DescribeTargetHealth gives it."""
    state = _tg_state(tg)
    instance = tg.ec2_backend.get_instance_by_id(target_id) if target_id.startswith("i-") else None
    if instance is not None and instance.state != "running":
        return "unused", "Target.InvalidState", f"Target is in the {instance.state} state"
    if not tg.health_check_enabled:
        return "unavailable", "Target.HealthCheckDisabled", "Health checks disabled"
    if not _in_use(tg):
        return "unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"
    report = state["reports"].get(target_id)
    if report is not None:
        return report["State"], report.get("Reason"), report.get("Description")
    interval = _as_int(tg.health_check_interval_seconds, 30)
    elapsed = now - state["registered"].get(target_id, 0.0)
    rule = _matching_rule(state["rules"], instance)
    if rule is not None:
        if elapsed >= _as_int(tg.unhealthy_threshold_count, 2) * interval:
            return "unhealthy", rule["Reason"], rule["Description"]
    elif elapsed >= _as_int(tg.healthy_threshold_count, 5) * interval:
        return "healthy", None, None
    if elapsed < interval:
        return "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
    return "initial", "Elb.InitialHealthChecking", "Initial health checks in progress"


def _matching_rule(rules: dict, instance) -> dict | None:
    launched = getattr(instance, "_webstack_lt", None)
    if not launched:
        return None
    rule = rules.get(str(launched[1]))
    if rule is None or rule.get("LaunchTemplateId") not in (None, launched[0]):
        return None
    return rule


def target_health(tg, target: dict, now: float):
    """moto's FakeHealthStatus for one target: registered, draining, or not registered."""
    from moto.elbv2.models import FakeHealthStatus  # noqa: PLC0415

    _purge_draining(tg, now)
    target_id = target["Id"]
    state = _tg_state(tg)
    if target_id in tg.targets:
        port = tg.targets[target_id]["Port"]
        return FakeHealthStatus(target_id, port, tg.health_check_port, *registered_health(tg, target_id, now))
    port = target.get("Port") or tg.port
    if target_id in state["draining"]:
        port = state["draining"][target_id][1].get("Port", port)
        return FakeHealthStatus(
            target_id,
            port,
            tg.health_check_port,
            "draining",
            "Target.DeregistrationInProgress",
            "Target deregistration is in progress",
        )
    return FakeHealthStatus(
        target_id,
        port,
        tg.health_check_port,
        "unused",
        "Target.NotRegistered",
        "Target is not registered to the target group",
    )


def install_target_health() -> None:
    """Wrap moto's target groups: registration times, draining, reports and rules, modelled health."""
    from moto.elbv2 import models  # noqa: PLC0415
    from moto.elbv2.exceptions import TargetGroupNotFoundError  # noqa: PLC0415

    tg_class = models.FakeTargetGroup
    if getattr(tg_class.register, "_webstack_patched", False):
        return
    original_register = tg_class.register
    original_deregister = tg_class.deregister

    @functools.wraps(original_register)
    def register(self, targets):
        before = set(self.targets)
        original_register(self, targets)
        state, now = _tg_state(self), clock()
        for target in targets:
            if target["Id"] not in before:
                state["registered"][target["Id"]] = now
                state["draining"].pop(target["Id"], None)

    @functools.wraps(original_deregister)
    def deregister(self, targets):
        kept = {t["Id"]: dict(self.targets[t["Id"]]) for t in targets if t["Id"] in self.targets}
        original_deregister(self, targets)
        _start_draining(self, kept)

    def deregister_terminated_instances(self, instance_ids):
        gone = {i: dict(self.targets.pop(i)) for i in list(self.targets) if i in instance_ids}
        _start_draining(self, gone)

    def health_for(self, target, ec2_backend):
        return target_health(self, target, clock())

    def describe_target_health(self, target_group_arn, targets):
        target_group = self.target_groups.get(target_group_arn)
        if target_group is None:
            raise TargetGroupNotFoundError()
        now = clock()
        if not targets:
            _purge_draining(target_group, now)
            draining = [dict(t) for _since, t in _tg_state(target_group)["draining"].values()]
            targets = list(target_group.targets.values()) + draining
        return [target_health(target_group, t, now) for t in targets]

    register._webstack_patched = True
    tg_class.register = register
    tg_class.deregister = deregister
    tg_class.deregister_terminated_instances = deregister_terminated_instances
    tg_class.health_for = health_for
    models.ELBv2Backend.describe_target_health = describe_target_health


def _start_draining(tg, targets: dict) -> None:
    state, now = _tg_state(tg), clock()
    for target_id, target in targets.items():
        state["registered"].pop(target_id, None)
        state["reports"].pop(target_id, None)
        state["draining"][target_id] = (now, target)
        tg.deregistered_targets[target_id] = target


# ---------------------------------------------------------------------------------------------
# Harness hooks: /moto-api/webstack/... (not AWS APIs)
# ---------------------------------------------------------------------------------------------


class HookError(Exception):
    pass


def _target_group_from_arn(arn: str):
    from moto.elbv2.models import elbv2_backends  # noqa: PLC0415

    parts = str(arn or "").split(":")
    if len(parts) < 6 or parts[2] != "elasticloadbalancing" or not parts[5].startswith("targetgroup/"):
        raise HookError(f"TargetGroupArn is not a target group ARN: {arn!r}")
    region, account = parts[3], parts[4]
    if account not in elbv2_backends or region not in elbv2_backends[account]:
        raise HookError(f"target group not found: {arn}")
    tg = elbv2_backends[account][region].target_groups.get(arn)
    if tg is None:
        raise HookError(f"target group not found: {arn}")
    return tg


def _checked_health(item: dict, where: str) -> dict:
    state = item.get("State")
    if state not in TARGET_STATES:
        raise HookError(f"{where}: State must be one of {', '.join(TARGET_STATES)}, got {state!r}")
    reason = item.get("Reason")
    if reason is not None and reason not in TARGET_REASONS:
        raise HookError(f"{where}: Reason must be one of {', '.join(TARGET_REASONS)}, got {reason!r}")
    description = item.get("Description")
    if description is not None and not isinstance(description, str):
        raise HookError(f"{where}: Description must be a string")
    return {"State": state, "Reason": reason, "Description": description}


def post_target_health(body: dict) -> dict:
    """Apply a data plane's report ({"Targets": [...]}) or a rule ({"LaunchTemplateVersion": ...})."""
    if not isinstance(body, dict):
        raise HookError("the body must be a JSON object")
    tg = _target_group_from_arn(body.get("TargetGroupArn"))
    state = _tg_state(tg)
    answer = {"TargetGroupArn": tg.arn, "Applied": [], "Ignored": []}
    if "Targets" not in body and "LaunchTemplateVersion" not in body:
        raise HookError("give Targets (reported health) or LaunchTemplateVersion with State (a rule)")
    for index, item in enumerate(body.get("Targets") or []):
        if not isinstance(item, dict) or not item.get("Id"):
            raise HookError(f"Targets[{index}]: Id is required")
        report = _checked_health(item, f"Targets[{index}]")
        if item["Id"] in tg.targets:
            state["reports"][item["Id"]] = report
            answer["Applied"].append(item["Id"])
        else:
            answer["Ignored"].append(item["Id"])  # not registered: the control plane decides
    if "LaunchTemplateVersion" in body:
        version = str(body["LaunchTemplateVersion"])
        if not version.isdigit():
            raise HookError("LaunchTemplateVersion must be a version number")
        wanted = body.get("State")
        if wanted == "healthy":
            state["rules"].pop(version, None)
        elif wanted == "unhealthy":
            rule = _checked_health(
                {
                    "State": "unhealthy",
                    "Reason": body.get("Reason", "Target.ResponseCodeMismatch"),
                    "Description": body.get("Description", "Health checks failed with these codes: [502]"),
                },
                "rule",
            )
            rule["LaunchTemplateId"] = body.get("LaunchTemplateId")
            state["rules"][version] = rule
        else:
            raise HookError("a rule's State is unhealthy (instances of that version never pass) or healthy (clear it)")
        answer["Rule"] = {"LaunchTemplateVersion": version, "State": wanted}
    return answer


def get_target_health(query: dict) -> dict:
    tg = _target_group_from_arn((query.get("TargetGroupArn") or [""])[0])
    state = _tg_state(tg)
    return {
        "TargetGroupArn": tg.arn,
        "Reports": [{"Id": k, **v} for k, v in state["reports"].items()],
        "Rules": [{"LaunchTemplateVersion": k, **v} for k, v in state["rules"].items()],
    }


def post_refresh_settings(body: dict) -> dict:
    if not isinstance(body, dict) or "HealthTimeoutSeconds" not in body:
        raise HookError("give HealthTimeoutSeconds")
    try:
        seconds = float(body["HealthTimeoutSeconds"])
    except (TypeError, ValueError):
        raise HookError("HealthTimeoutSeconds must be a number") from None
    if not 0 < seconds <= AWS_HEALTH_TIMEOUT:
        raise HookError(f"HealthTimeoutSeconds must be within 0..{AWS_HEALTH_TIMEOUT:.0f} (AWS's one hour)")
    SETTINGS["health_timeout"] = seconds
    return {"HealthTimeoutSeconds": seconds}


def _body(request) -> str:
    """The raw request body, whatever Content-Type the client sent (a form-encoded body is parsed into
    request.form by the web framework before the handler runs)."""
    raw = request.get_data(as_text=True) if hasattr(request, "get_data") else request.data
    if not raw and getattr(request, "form", None):
        raw = next(iter(request.form))
    return raw.decode() if isinstance(raw, bytes) else raw


def _hook(handler):
    def view(request, full_url, headers):
        try:
            with LOCK:
                advance_all()
                if request.method == "GET":
                    result = handler["GET"](parse_qs(urlparse(full_url).query))
                elif request.method == "POST":
                    result = handler["POST"](json.loads(_body(request) or "{}"))
                else:
                    return 405, {"Content-Type": "application/json"}, json.dumps({"Error": "use GET or POST"})
        except (HookError, json.JSONDecodeError, KeyError) as error:
            return 400, {"Content-Type": "application/json"}, json.dumps({"Error": str(error)})
        return 200, {"Content-Type": "application/json"}, json.dumps(result)

    view.__name__ = f"webstack_{handler['name']}"
    return view


def install_hooks() -> None:
    from moto.moto_api._internal import models as api_models  # noqa: PLC0415
    from moto.moto_api._internal import urls  # noqa: PLC0415

    if "{0}/moto-api/webstack/target-health$" in urls.url_paths:
        return
    urls.url_paths["{0}/moto-api/webstack/target-health$"] = _hook(
        {"name": "target_health", "GET": get_target_health, "POST": post_target_health}
    )
    urls.url_paths["{0}/moto-api/webstack/instance-refresh$"] = _hook(
        {"name": "instance_refresh", "GET": lambda _q: dict(HealthTimeoutSeconds=SETTINGS["health_timeout"]),
         "POST": post_refresh_settings}
    )  # fmt: skip
    original_reset = api_models.MotoAPIBackend.reset

    @functools.wraps(original_reset)
    def reset(self):
        with LOCK:
            original_reset(self)
            _WORK.clear()
            SETTINGS["health_timeout"] = _default_health_timeout()

    api_models.MotoAPIBackend.reset = reset


# ---------------------------------------------------------------------------------------------
# Instance refresh
# ---------------------------------------------------------------------------------------------

_WORK: set = set()  # Auto Scaling backends with an active refresh or an instance still draining
_TICKER: list = []


def _start_ticker() -> None:
    if _TICKER:
        return

    def tick():
        while True:
            time.sleep(TICK)
            with LOCK:
                advance_all()

    thread = threading.Thread(target=tick, name="webstack-instance-refresh", daemon=True)
    _TICKER.append(thread)
    thread.start()


def locked(original):
    """A response class's call_action that first brings the models up to now, under the lock."""

    @functools.wraps(original)
    def call_action(self):
        with LOCK:
            advance_all()
            return original(self)

    call_action._webstack_patched = True
    return call_action


def refreshes(backend) -> dict:
    found = backend.__dict__.get("_webstack_refreshes")
    if found is None:
        found = backend._webstack_refreshes = {}
    return found


def _terminations(backend) -> list:
    found = backend.__dict__.get("_webstack_terminations")
    if found is None:
        found = backend._webstack_terminations = []
    return found


def active_refresh(backend, group_name: str):
    return next((r for r in refreshes(backend).get(group_name, []) if r.status in ACTIVE), None)


def advance_all() -> None:
    now = clock()
    for backend in list(_WORK):
        pending = backend.__dict__.get("_webstack_terminations") or []
        active = [r for found in (backend.__dict__.get("_webstack_refreshes") or {}).values() for r in found]
        active = [r for r in active if r.status in ACTIVE]
        if not pending and not active:
            _WORK.discard(backend)
            continue
        _finish_terminations(backend, now)
        for refresh in active:
            for _ in range(20):  # a few transitions can happen at once (a batch ends, the next starts)
                if not refresh.step(backend, now):
                    break


def _finish_terminations(backend, now: float, group_name: str | None = None) -> None:
    pending = _terminations(backend)
    for item in list(pending):
        if item["due"] > now and item["group"] != group_name:
            continue
        pending.remove(item)
        group = backend.autoscaling_groups.get(item["group"])
        if group is not None:
            group.instance_states = [s for s in group.instance_states if s.instance.id != item["id"]]
        instance = backend.ec2_backend.get_instance_by_id(item["id"])
        if instance is not None and instance.state != "terminated":
            backend.ec2_backend.terminate_instances([item["id"]])


def draining_for(backend, refresh_id: str) -> bool:
    return any(item["refresh"] == refresh_id for item in _terminations(backend))


def terminate(backend, group, state, now: float, refresh_id: str | None = None) -> None:
    """Take an instance out of service as Auto Scaling does: deregister (draining), then terminate."""
    state.lifecycle_state = "Terminating"
    delay = 0
    for arn in group.target_group_arns:
        tg = backend.elbv2_backend.target_groups.get(arn)
        if tg is not None and state.instance.id in tg.targets:
            tg.deregister([{"Id": state.instance.id}])
            delay = max(delay, deregistration_delay(tg))
    _terminations(backend).append(
        {"due": now + delay, "group": group.name, "id": state.instance.id, "refresh": refresh_id}
    )
    _WORK.add(backend)


def resolved_version(group, version=None) -> int | None:
    template = group.ec2_launch_template
    if template is None:
        return None
    return template.get_version(version if version is not None else group.launch_template_version).number


def instance_version(state) -> tuple[str, int] | None:
    spec = state.launch_template
    if not spec:
        return None
    return spec["LaunchTemplateId"], int(spec["Version"])


def launch(backend, group, count: int, version: int) -> list:
    """Launch `count` instances into the group from this launch template version (moto's own launch
    path, with the version named, so every launch template setting comes from that version)."""
    from moto.autoscaling.models import ASG_NAME_TAG, InstanceState  # noqa: PLC0415

    template = group.ec2_launch_template
    data = template.get_version(version)
    tags = group.get_propagated_tags()
    tags[ASG_NAME_TAG] = group.name
    tags.update(data.instance_tags)
    subnet_id = group.vpc_zone_identifier.split(",")[0] if group.vpc_zone_identifier else None
    reservation = backend.ec2_backend.run_instances(
        data.image_id,
        count,
        data.user_data,
        data.security_groups,
        instance_type=data.instance_type,
        tags={"instance": tags},
        placement=random.choice(group.availability_zones),
        launch_config=None,
        launch_template={"LaunchTemplateId": template.id, "Version": str(version)},
        is_instance_type_default=False,
        associate_public_ip=None,
        subnet_id=subnet_id,
    )
    now = clock()
    states = []
    for instance in reservation.instances:
        instance.autoscaling_group = group
        state = InstanceState(instance, protected_from_scale_in=group.new_instances_protected_from_scale_in)
        state._webstack_lt_version = version
        state._webstack_launched_at = now
        group.instance_states.append(state)
        states.append(state)
    if group.name in backend.autoscaling_groups:
        backend.update_attached_elbs(group.name)
        backend.update_attached_target_groups(group.name)
    return states


def launch_version(backend, group) -> int | None:
    """The version new instances launch from: the refresh's desired one while it runs (AWS: a scale-out
    during an instance refresh launches from the desired configuration), else the group's."""
    refresh = active_refresh(backend, group.name)
    if refresh is not None and refresh.phase == "refresh" and refresh.status in ("Pending", "InProgress", "Baking"):
        return refresh.target_version(group)
    return resolved_version(group)


def health(backend, group, state, now: float) -> tuple[str, str]:
    """('healthy' | 'waiting' | 'unhealthy', example text) of an instance for the refresh.

    A group with target groups and the ELB health check counts an instance healthy when every target
    group reports it healthy; an EC2-only group takes the instance's state and the group's own health.
    """
    instance_id = state.instance.id
    if state.instance.state != "running":
        return "waiting", f"{instance_id} is {state.instance.state}"
    if state.health_status != "Healthy":
        return "unhealthy", f"{instance_id} is marked {state.health_status}"
    if group.health_check_type != "ELB" or not group.target_group_arns:
        return "healthy", ""
    verdict, example = "healthy", ""
    for arn in group.target_group_arns:
        tg = backend.elbv2_backend.target_groups.get(arn)
        if tg is None:
            continue
        found = target_health(tg, {"Id": instance_id}, now)
        if found.status == "healthy":
            continue
        if found.status == "unhealthy":
            return "unhealthy", f"{instance_id} is unhealthy in target group {tg.name} ({found.reason})"
        verdict = "waiting"
        example = f"{instance_id} has insufficient data to evaluate its health with Elastic Load Balancing"
    return verdict, example


class Batch:
    """One batch of replacements: launched, then healthy and warmed up (released), then the old instances
    it retires have drained and terminated (done)."""

    def __init__(self, launched: list[str], deferred: int, retiring: list[str], now: float) -> None:
        self.launched = launched  # replacements launched by this batch (instance ids)
        self.deferred = deferred  # old instances to terminate once the replacements are ready
        self.retiring = retiring  # old instances this batch terminated (draining, then terminated)
        self.started = now
        self.released = not launched  # the replacements are ready (a batch without any is at once)


class Refresh:
    """One instance refresh of one group, with the fields DescribeInstanceRefreshes returns.

    Every method that acts takes the group it belongs to; `step` is the only entry point of the engine.
    """

    def __init__(self, group, desired: dict | None, preferences: dict, strategy: str, now: float) -> None:
        self.id = str(uuid.uuid4())
        self.group_name = group.name
        self.status = "Pending"
        self.reason: str | None = None
        self.start, self.end = now, None
        self.desired = desired
        self.preferences = preferences
        self.strategy = strategy
        self.phase = "refresh"
        self.to_replace: list[str] = []
        self.total = self.replaced = 0
        self.batch: Batch | None = None
        self.checkpoints_reached = 0
        self.checkpoint_until: float | None = None
        self.bake_until: float | None = None
        self.rollback: dict | None = None
        self.cancel_wait = True
        self.blocked_since: float | None = None
        self.failure: str | None = None

    # --- what the API shows ---

    def describe(self) -> dict:
        if self.rollback is not None:
            rb = self.rollback
            left = rb["total"] - rb["replaced"]
            done = 0 if rb["total"] == 0 else math.floor(rb["percentage"] * left / rb["total"])
            to_update = rb["to_update"]
        else:
            done = 0 if self.status == "Pending" else percentage(self.replaced, self.total)
            to_update = max(0, self.total - self.replaced)
        body = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group_name,
            "Status": self.status,
            "StartTime": datetime.fromtimestamp(self.start, UTC),
            "PercentageComplete": done,
            "InstancesToUpdate": to_update,
            "ProgressDetails": {"LivePoolProgress": {"PercentageComplete": done, "InstancesToUpdate": to_update}},
            "Preferences": self.preferences,
            "Strategy": self.strategy,
        }
        if self.reason:
            body["StatusReason"] = self.reason
        if self.end is not None:
            body["EndTime"] = datetime.fromtimestamp(self.end, UTC)
        if self.desired:
            body["DesiredConfiguration"] = self.desired
        if self.rollback is not None:
            rb = self.rollback
            body["RollbackDetails"] = {
                "RollbackReason": rb["reason"],
                "RollbackStartTime": datetime.fromtimestamp(rb["start"], UTC),
                "PercentageCompleteOnRollback": rb["percentage"],
                "InstancesToUpdateOnRollback": rb["to_update"],
            }
        return body

    # --- what it runs towards ---

    def target_version(self, group) -> int | None:
        """The launch template version replacements launch from (the group's own during a rollback)."""
        spec = (self.desired or {}).get("LaunchTemplate")
        if self.phase == "rollback" or not spec:
            return resolved_version(group)
        return resolved_version(group, spec.get("Version") or "$Default")

    # --- the state machine ---

    def step(self, backend, now: float) -> bool:
        """Advance by one transition if one is due; False when nothing changed."""
        group = backend.autoscaling_groups.get(self.group_name)
        if group is None:  # deleted under the refresh (ForceDelete)
            self.status, self.end, self.reason = "Cancelled", now, "The Auto Scaling group was deleted"
            return False
        if self.status == "Pending":
            return now >= self.start + PENDING_SECONDS and self._begin(group, now)
        if self.status == "Baking":
            return now >= self.bake_until and self._succeed(group, now)
        if self.status == "Cancelling":
            if self.cancel_wait and draining_for(backend, self.id):
                return False
            self.status, self.end = "Cancelled", now
            return True
        if self.status in ("InProgress", "RollbackInProgress"):
            return self._run(backend, group, now)
        return False

    def _begin(self, group, now: float) -> bool:
        prefs = self.preferences
        wanted = (group.ec2_launch_template.id, self.target_version(group))
        candidates = []
        for state in group.instance_states:
            if state.lifecycle_state.startswith("Terminating"):
                continue
            if state.lifecycle_state == "Standby" and prefs.get("StandbyInstances") == "Ignore":
                continue
            if state.protected_from_scale_in and prefs.get("ScaleInProtectedInstances") == "Ignore":
                continue
            if prefs.get("SkipMatching") and instance_version(state) == wanted:
                continue
            candidates.append(state.instance.id)
        self.to_replace, self.total = candidates, len(candidates)
        self.status, self.reason = "InProgress", None
        if not candidates:
            # "If you enable skip matching but the launch template ... [is] not changing, the instance
            # refresh will succeed immediately without making any replacements."
            return self._finish(group, now)
        return True

    def _remaining(self, group) -> list:
        wanted = set(self.to_replace)
        return [
            s
            for s in group.instance_states
            if s.instance.id in wanted and not s.lifecycle_state.startswith("Terminating")
        ]

    def _replaceable(self, states: list) -> list:
        """Old instances that may be replaced now: scale-in protected or Standby instances wait (for an
        hour, then the refresh fails) unless the preferences say Refresh/Terminate."""
        prefs = self.preferences
        return [
            s
            for s in states
            if not (s.protected_from_scale_in and prefs.get("ScaleInProtectedInstances", "Wait") == "Wait")
            and not (s.lifecycle_state == "Standby" and prefs.get("StandbyInstances", "Wait") == "Wait")
        ]

    def _run(self, backend, group, now: float) -> bool:
        if self.checkpoint_until is not None:
            if now < self.checkpoint_until:
                return False
            self.checkpoint_until, self.reason = None, None
            return True
        if self.batch is not None:
            return self._tend_batch(backend, group, now)
        remaining = self._remaining(group)
        if not remaining:
            return self._finish(group, now)
        replaceable = self._replaceable(remaining)
        if not replaceable:
            example = remaining[0].instance.id
            return self._blocked(group, now, f"Waiting for instances in Standby or protected from scale in: {example}")
        prefs = self.preferences
        live = [s for s in group.instance_states if s.lifecycle_state == "InService"]
        verdicts = {s.instance.id: health(backend, group, s, now)[0] for s in live}
        unhealthy_old = [s for s in replaceable if verdicts.get(s.instance.id) != "healthy"]
        ordered = unhealthy_old + [s for s in replaceable if s not in unhealthy_old]
        desired = group.desired_capacity or 0
        # Replacements launched by an interrupted batch (a rollback's starting point) leave the group above
        # its desired capacity: those go first, without replacement.
        surplus = ordered[: max(0, len(live) - desired)]
        if surplus:
            for state in surplus:
                terminate(backend, group, state, now, self.id)
            self._count_retired(len(surplus))
            self.batch, self.blocked_since = Batch([], 0, [s.instance.id for s in surplus], now), None
            return True
        cap = None
        if self.phase == "refresh":
            checkpoints = prefs.get("CheckpointPercentages") or []
            cap = checkpoint_cap(checkpoints, self.checkpoints_reached, self.replaced, self.total)
        launch_first, terminate_now = plan_batch(
            desired=desired,
            in_service=len(live),
            healthy=sum(1 for v in verdicts.values() if v == "healthy"),
            remaining=len(replaceable),
            min_pct=prefs.get("MinHealthyPercentage", 90),
            max_pct=prefs.get("MaxHealthyPercentage"),
            unhealthy_remaining=len(unhealthy_old),
            cap=cap,
        )
        if launch_first + terminate_now == 0:
            return self._blocked(
                group, now, "Waiting for enough healthy instances to keep the minimum healthy percentage"
            )
        self.blocked_since = None
        retiring = ordered[:terminate_now]
        for state in retiring:
            terminate(backend, group, state, now, self.id)
        launched = launch(backend, group, launch_first + terminate_now, self.target_version(group))
        self.batch = Batch([s.instance.id for s in launched], launch_first, [s.instance.id for s in retiring], now)
        return True

    def _count_retired(self, count: int) -> None:
        if self.rollback is not None:
            self.rollback["replaced"] += count
        else:
            self.replaced += count

    def _blocked(self, group, now: float, reason: str) -> bool:
        if self.blocked_since is None:
            self.blocked_since = now
        self.reason = reason
        if now - self.blocked_since > SETTINGS["health_timeout"]:
            return self._fail(group, now, f"{reason} for more than {SETTINGS['health_timeout']:.0f} seconds")
        return False

    def _tend_batch(self, backend, group, now: float) -> bool:
        batch = self.batch
        changed = False
        if not batch.released:
            changed = self._await_replacements(backend, group, now)
            if not batch.released or self.batch is None:
                return changed
        in_group = {s.instance.id for s in group.instance_states}
        draining = [i for i in batch.retiring if i in in_group]
        if draining:
            self.reason = f"Waiting for old instances to terminate. For example: {draining[0]} is draining."
            return changed
        self.batch, self.reason = None, None
        if self.phase == "refresh":
            self._checkpoint(group, now)
        return True

    def _await_replacements(self, backend, group, now: float) -> bool:
        """Wait until the batch's replacements are healthy and warmed up, then retire the old instances they
        stand in for (the count of replaced instances moves then, as PercentageComplete does on AWS)."""
        batch = self.batch
        grace = group.health_check_grace_period or 0
        warmup = self.preferences.get("InstanceWarmup")
        warmup = grace if warmup is None else warmup
        states = {s.instance.id: s for s in group.instance_states}
        waiting, warming, changed = None, None, False
        for instance_id in list(batch.launched):
            state = states.get(instance_id)
            if state is None or state.lifecycle_state.startswith("Terminating"):
                batch.launched.remove(instance_id)
                continue
            verdict, example = health(backend, group, state, now)
            launched_at = getattr(state, "_webstack_launched_at", now)
            if verdict == "unhealthy" and now >= launched_at + grace:
                # Auto Scaling's health check after the grace period: replace the unhealthy instance
                # (from the same configuration); the refresh keeps waiting for a healthy one.
                state.health_status = "Unhealthy"
                batch.launched.remove(instance_id)
                terminate(backend, group, state, now, self.id)
                batch.launched += [s.instance.id for s in launch(backend, group, 1, self.target_version(group))]
                waiting, changed = waiting or example, True
            elif verdict != "healthy":
                waiting = waiting or example
            elif now < launched_at + warmup:
                warming = warming or instance_id
        if waiting:
            self.reason = f"Waiting for remaining instances to be available. For example: {waiting}."
            if now - batch.started > SETTINGS["health_timeout"]:
                return self._fail(
                    group,
                    now,
                    "the replacement instances did not pass their health checks within "
                    f"{SETTINGS['health_timeout']:.0f} seconds. For example: {waiting}",
                )
            return changed
        if warming:
            self.reason = f"Waiting for instances to warm up before continuing. For example: {warming} is warming up."
            return changed
        old = self._replaceable(self._remaining(group))
        old.sort(key=lambda s: health(backend, group, s, now)[0] == "healthy")
        retire = old[: batch.deferred]
        for state in retire:
            terminate(backend, group, state, now, self.id)
        self._count_retired(len(batch.retiring) + len(retire))
        batch.retiring += [s.instance.id for s in retire]
        batch.released = True
        return True

    def _checkpoint(self, group, now: float) -> None:
        checkpoints = self.preferences.get("CheckpointPercentages") or []
        done = percentage(self.replaced, self.total)
        reached = self.checkpoints_reached
        while reached < len(checkpoints) and checkpoints[reached] <= done:
            reached += 1  # a batch can pass several checkpoints: AWS skips to the highest reached
        if reached == self.checkpoints_reached:
            return
        self.checkpoints_reached = reached
        if reached == len(checkpoints):
            self._finish(group, now)  # the last checkpoint ends the refresh (at 100 %, or a partial refresh)
            return
        delay = self.preferences.get("CheckpointDelay", 3600)
        self.checkpoint_until = now + delay
        self.reason = (
            f"Checkpoint {checkpoints[reached - 1]}% reached: {done}% of the instances are replaced. "
            f"Waiting {delay} seconds (CheckpointDelay) before continuing."
        )

    def _finish(self, group, now: float) -> bool:
        if self.phase == "rollback":
            self.status, self.end, self.reason = "RollbackSuccessful", now, self.failure
            return True
        bake = self.preferences.get("BakeTime") or 0
        if bake and self.status != "Baking":
            self.status, self.bake_until, self.reason = "Baking", now + bake, None
            return True
        return self._succeed(group, now)

    def _succeed(self, group, now: float) -> bool:
        if self.desired and self.desired.get("LaunchTemplate"):
            # Only now does the group take the desired configuration ("Once the instance refresh succeeds,
            # Amazon EC2 Auto Scaling updates the settings of the Auto Scaling group").
            group._set_launch_configuration(None, dict(self.desired["LaunchTemplate"]), mixed_instances_policy=None)
        self.status, self.end, self.reason = "Successful", now, None
        return True

    def _fail(self, group, now: float, reason: str) -> bool:
        if self.phase == "rollback":
            self.status, self.end = "RollbackFailed", now
            self.reason = f"The rollback failed: {reason}"
            return True
        self.failure = f"Instance refresh failed: {reason}"
        if self.preferences.get("AutoRollback"):
            return self.start_rollback(group, now, "Automatic rollback: " + self.failure)
        self.status, self.end, self.reason = "Failed", now, self.failure
        return True

    def start_rollback(self, group, now: float, reason: str) -> bool:
        """Replace what the refresh deployed with the group's saved configuration: its own launch template
        version, which the refresh had not changed (that happens only on success)."""
        wanted = (group.ec2_launch_template.id, resolved_version(group))
        self.rollback = {
            "reason": reason,
            "start": now,
            "percentage": percentage(self.replaced, self.total),
            "to_update": max(0, self.total - self.replaced),
            "total": 0,
            "replaced": 0,
        }
        self.phase, self.status = "rollback", "RollbackInProgress"
        self.to_replace = [
            s.instance.id
            for s in group.instance_states
            if not s.lifecycle_state.startswith("Terminating") and instance_version(s) != wanted
        ]
        self.rollback["total"] = len(self.to_replace)
        self.batch, self.checkpoint_until, self.blocked_since = None, None, None
        self.reason = self.failure or "Rollback in progress"
        return True

    def cancel(self, wait: bool) -> None:
        self.status, self.cancel_wait = "Cancelling", wait
        self.batch, self.checkpoint_until = None, None


# ---------------------------------------------------------------------------------------------
# The Auto Scaling API and moto's group hooks
# ---------------------------------------------------------------------------------------------


def _preferences(prefs: dict, desired: dict | None, group, error) -> dict:
    """The preferences as DescribeInstanceRefreshes returns them (defaults filled in), after refusing
    what the API reference refuses (RefreshPreferences)."""
    prefs = {k: v for k, v in (prefs or {}).items() if v is not None}

    def in_range(key, low, high=None):
        value = prefs.get(key)
        if value is not None and (value < low or (high is not None and value > high)):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise error(f"{key} must be {bound}, got {value}.")

    in_range("MinHealthyPercentage", 0, 100)
    in_range("MaxHealthyPercentage", 100, 200)
    in_range("InstanceWarmup", 0)
    in_range("CheckpointDelay", 0, 172800)
    in_range("BakeTime", 0, 172800)
    if "MaxHealthyPercentage" in prefs:
        if "MinHealthyPercentage" not in prefs:
            raise error("If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage.")
        if prefs["MaxHealthyPercentage"] - prefs["MinHealthyPercentage"] > 100:
            raise error("The difference between MaxHealthyPercentage and MinHealthyPercentage cannot exceed 100.")
    checkpoints = prefs.get("CheckpointPercentages")
    if checkpoints is not None:
        if any(not 1 <= c <= 100 for c in checkpoints):
            raise error("CheckpointPercentages values must be between 1 and 100.")
        if list(checkpoints) != sorted(set(checkpoints)):
            raise error("CheckpointPercentages must be unique and in ascending order.")
        prefs.setdefault("CheckpointDelay", 3600)
    elif "CheckpointDelay" in prefs:
        raise error("If you specify CheckpointDelay, you must also specify CheckpointPercentages.")
    for key, allowed in (
        ("ScaleInProtectedInstances", ("Refresh", "Ignore", "Wait")),
        ("StandbyInstances", ("Terminate", "Ignore", "Wait")),
    ):
        if prefs.get(key, "Wait") not in allowed:
            raise error(f"{key} must be one of {', '.join(allowed)}.")
    if (prefs.get("AlarmSpecification") or {}).get("Alarms"):
        raise error("AlarmSpecification: the emulator does not model CloudWatch alarms in instance refreshes.")
    if prefs.get("AutoRollback"):
        if not desired:
            raise error("AutoRollback requires a DesiredConfiguration.")
        if str(group.provided_launch_template_version or "$Default") in ("$Latest", "$Default"):
            raise error(
                "AutoRollback is not supported when the Auto Scaling group uses the launch template's "
                "$Latest or $Default version."
            )
    defaults = {
        "MinHealthyPercentage": 90,
        "SkipMatching": False,
        "AutoRollback": False,
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }
    return {**defaults, **prefs}


def _desired(desired: dict | None, group, ec2_backend, error) -> dict | None:
    if not desired:
        return None
    if desired.get("MixedInstancesPolicy"):
        raise error("DesiredConfiguration: the emulator does not model mixed instances policies.")
    spec = desired.get("LaunchTemplate")
    if not spec:
        return None
    if bool(spec.get("LaunchTemplateId")) == bool(spec.get("LaunchTemplateName")):
        raise error("Valid requests must contain either launchTemplateId or LaunchTemplateName.")
    try:
        if spec.get("LaunchTemplateId"):
            template = ec2_backend.get_launch_template(spec["LaunchTemplateId"])
        else:
            template = ec2_backend.get_launch_template_by_name(spec["LaunchTemplateName"])
        template.get_version(spec.get("Version") or "$Default")
    except Exception as exc:
        raise error(f"DesiredConfiguration: launch template or version not found ({exc}).") from None
    if group.ec2_launch_template is None or template.id != group.ec2_launch_template.id:
        raise error("DesiredConfiguration: the emulator models refreshes onto the group's own launch template only.")
    return {"LaunchTemplate": {k: v for k, v in spec.items() if v is not None}}


def install_instance_refresh() -> None:
    """Auto Scaling's instance refresh API on top of moto's groups, and the group hooks it needs."""
    from moto.autoscaling import models, responses  # noqa: PLC0415
    from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError  # noqa: PLC0415
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.ec2.responses import EC2Response  # noqa: PLC0415
    from moto.elbv2.responses import ELBV2Response  # noqa: PLC0415

    response = responses.AutoScalingResponse
    if getattr(response, "_webstack_refresh_patched", False):
        return

    # Each instance reports the launch template version it was launched from.
    original_init = models.InstanceState.__init__

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):  # noqa: N807
        original_init(self, *args, **kwargs)
        self._webstack_lt_version = resolved_version(self.auto_scaling_group)

    def launch_template(self):
        group = self.auto_scaling_group
        if group.ec2_launch_template is None:
            return None
        return {
            "LaunchTemplateId": group.ec2_launch_template.id,
            "LaunchTemplateName": group.ec2_launch_template.name,
            "Version": str(self._webstack_lt_version),
        }

    models.InstanceState.__init__ = __init__
    models.InstanceState.launch_template = property(launch_template)

    # Launches name the version they launch from (a running refresh's desired one).
    group_class = models.FakeAutoScalingGroup
    original_replace = group_class.replace_autoscaling_group_instances

    @functools.wraps(original_replace)
    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        if self.ec2_launch_template is None:
            return original_replace(self, count_needed, propagated_tags)
        launch(self.autoscaling_backend, self, count_needed, launch_version(self.autoscaling_backend, self))
        return None

    # Scaling never counts, picks or re-registers an instance that is already terminating; an instance
    # leaving the group (scale in, detach) is deregistered from its target groups (draining).
    original_set_desired = group_class.set_desired_capacity

    @functools.wraps(original_set_desired)
    def set_desired_capacity(self, new_capacity):
        terminating = [s for s in self.instance_states if s.lifecycle_state.startswith("Terminating")]
        self.instance_states = [s for s in self.instance_states if s not in terminating]
        before = {s.instance.id for s in self.instance_states}
        try:
            original_set_desired(self, new_capacity)
        finally:
            gone = before - {s.instance.id for s in self.instance_states}
            self.instance_states += terminating
            for arn in self.target_group_arns:
                tg = self.autoscaling_backend.elbv2_backend.target_groups.get(arn)
                leaving = [{"Id": i} for i in gone if tg is not None and i in tg.targets]
                if leaving:
                    tg.deregister(leaving)

    def update_attached_target_groups(self, group_name):
        group = self.autoscaling_groups[group_name]
        if not group.target_group_arns:
            return
        serving = [s.instance.id for s in group.instance_states if s.lifecycle_state in ("InService", "Pending")]
        for tg in self.elbv2_backend.describe_target_groups(
            target_group_arns=group.target_group_arns, load_balancer_arn=None, names=None
        ):
            new = [{"Id": i, "Port": tg.port} for i in serving if i not in tg.targets]
            if new:
                self.elbv2_backend.register_targets(tg.arn, new)

    # HealthCheckGracePeriod: moto stores 0 (or nothing) as 300; AWS keeps 0 and defaults to 0 for the API.
    original_create = models.AutoScalingBackend.create_auto_scaling_group

    @functools.wraps(original_create)
    def create_auto_scaling_group(self, *args, **kwargs):
        group = original_create(self, *args, **kwargs)
        period = kwargs.get("health_check_period")
        group.health_check_grace_period = int(period) if period not in (None, "") else 0
        return group

    original_delete = models.AutoScalingBackend.delete_auto_scaling_group

    @functools.wraps(original_delete)
    def delete_auto_scaling_group(self, group_name):
        if group_name in self.autoscaling_groups:
            now = clock()
            _finish_terminations(self, now, group_name)  # ForceDelete does not wait for draining
            found = active_refresh(self, group_name)
            if found is not None:
                found.status, found.end, found.reason = "Cancelled", now, "The Auto Scaling group was deleted"
        return original_delete(self, group_name)

    group_class.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    group_class.set_desired_capacity = set_desired_capacity
    models.AutoScalingBackend.update_attached_target_groups = update_attached_target_groups
    models.AutoScalingBackend.delete_auto_scaling_group = delete_auto_scaling_group
    models.AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group

    # --- the API ---

    def group_named(backend, name):
        if name not in backend.autoscaling_groups:
            raise ValidationError(f"AutoScalingGroup name not found - {name}")
        return backend.autoscaling_groups[name]

    def no_active(name):
        return AutoscalingClientError(
            "ActiveInstanceRefreshNotFound",
            f"No in progress or pending Instance Refresh found for Auto Scaling group {name}",
        )

    def start_instance_refresh(self):
        backend = self.autoscaling_backend
        name = self._get_param("AutoScalingGroupName")
        group = group_named(backend, name)
        if active_refresh(backend, name) is not None:
            raise AutoscalingClientError(
                "InstanceRefreshInProgress",
                "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
            )
        strategy = self._get_param("Strategy") or "Rolling"
        if strategy != "Rolling":
            raise ValidationError("Strategy: the emulator models the Rolling strategy only.")
        if group.ec2_launch_template is None:
            raise ValidationError("The emulator models instance refreshes of groups with a launch template only.")
        desired = _desired(self._get_param("DesiredConfiguration"), group, backend.ec2_backend, ValidationError)
        prefs = _preferences(self._get_param("Preferences"), desired, group, ValidationError)
        refresh = start_refresh(backend, group, desired, prefs, strategy)
        return ActionResult({"InstanceRefreshId": refresh.id})

    def describe_instance_refreshes(self):
        backend = self.autoscaling_backend
        name = self._get_param("AutoScalingGroupName")
        group_named(backend, name)
        found = refreshes(backend).get(name, [])
        ids = self._get_param("InstanceRefreshIds") or []
        if ids:
            found = [r for r in found if r.id in ids]
        limit = self._get_int_param("MaxRecords") or 50
        if not 1 <= limit <= 100:
            raise ValidationError("MaxRecords must be between 1 and 100.")
        start = int(self._get_param("NextToken") or 0)
        body = {"InstanceRefreshes": [r.describe() for r in found[start : start + limit]]}
        if start + limit < len(found):
            body["NextToken"] = str(start + limit)
        return ActionResult(body)

    def cancel_instance_refresh(self):
        backend = self.autoscaling_backend
        name = self._get_param("AutoScalingGroupName")
        group_named(backend, name)
        found = active_refresh(backend, name)
        if found is None or found.status == "Cancelling":
            raise no_active(name)
        wait = self._get_param("WaitForTransitioningInstances")
        found.cancel(wait=True if wait is None else bool(wait))
        return ActionResult({"InstanceRefreshId": found.id})

    def rollback_instance_refresh(self):
        backend = self.autoscaling_backend
        name = self._get_param("AutoScalingGroupName")
        group = group_named(backend, name)
        found = active_refresh(backend, name)
        if found is None or found.status not in ("Pending", "InProgress", "Baking"):
            raise no_active(name)
        if not found.desired or str(group.provided_launch_template_version or "$Default") in ("$Latest", "$Default"):
            raise AutoscalingClientError(
                "IrreversibleInstanceRefresh",
                "The request failed because a desired configuration was not found or the Auto Scaling group "
                "uses the launch template's $Latest or $Default version.",
            )
        found.start_rollback(group, clock(), "Rollback initiated manually (RollbackInstanceRefresh).")
        return ActionResult({"InstanceRefreshId": found.id})

    for func in (
        start_instance_refresh,
        describe_instance_refreshes,
        cancel_instance_refresh,
        rollback_instance_refresh,
    ):
        setattr(response, func.__name__, func)
    for cls in (response, ELBV2Response, EC2Response):
        cls.call_action = locked(cls.call_action)
    response._webstack_refresh_patched = True


def start_refresh(backend, group, desired: dict | None, preferences: dict, strategy: str) -> Refresh:
    _start_ticker()
    refresh = Refresh(group, desired, preferences, strategy, clock())
    refreshes(backend).setdefault(group.name, []).insert(0, refresh)
    _WORK.add(backend)
    return refresh
