"""The collection's action: one of our modules runs inside the task's worker when the target is the controller's own
Python, and the stock way (a shell and a new Python, the EXEC lines of -vvv) otherwise, with the same result either
way. Another collection's module always runs the stock way. Without the ansible-core internals the worker path
borrows (ansible-core before 2.19), or when they fail before the module runs, the task takes the stock path.

These tests run on every ansible-core and botocore the collection declares (`make compat` runs them on the lowest).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible_collections.illustra.webstack.plugins.plugin_utils import run_in_controller
from ansible_collections.illustra.webstack.plugins.plugin_utils.run_in_controller import ActionModule

ROOT = Path(__file__).resolve().parents[2]
IN_WORKER = not isinstance(run_in_controller.borrowed_internals(), str)
# A direct call of budget_check (no AWS call): over a 1 USD budget it warns, under 10,000 USD it does not.
OVER_BUDGET = {"budget_usd": 1, "policy_level": "warning", "environment": "dev"}
WITHIN_BUDGET = {"budget_usd": 10000, "policy_level": "warning", "environment": "dev"}
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Refuse an estimate over budget
      illustra.webstack.budget_check:
        budget_usd: 1
        policy_level: strict
        environment: dev
      register: review
      ignore_errors: true
    - name: A module failure is the task's failure
      illustra.webstack.budget_check:
        budget_usd: not a number
      register: failure
      ignore_errors: true
    - name: Another collection's module keeps its own (stock) action
      amazon.aws.s3_bucket: {}
      register: stock
      ignore_errors: true
    - name: Keep what came back
      ansible.builtin.copy:
        content: "{{ {'review': review.msg, 'changed': review.changed, 'failure': failure.msg, 'stock': stock.msg} | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


def _run(tmp_path: Path, *extra: str) -> tuple[dict, str]:
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    # The project's configuration (the collection's path), from a directory of its own: nothing beside the
    # playbook changes how modules run.
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", str(tmp_path / "play.yml"), "-e", f"result_file={tmp_path / 'result.json'}", *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads((tmp_path / "result.json").read_text()), proc.stdout


def _assert_same_results(result: dict) -> None:
    assert result["changed"] is False
    assert result["review"].startswith("Over budget (policy level strict): dev: "), result
    assert "budget_usd" in result["failure"] and "float" in result["failure"], result
    assert "missing required arguments: name" in result["stock"], result


@pytest.mark.parametrize("where", ["controller", "stock"])
def test_same_result_in_the_worker_and_the_stock_way(tmp_path, where):
    # Another interpreter path for the same Python: the action cannot know it is the same, so it goes the stock way.
    extra = [] if where == "controller" else ["-e", f"ansible_python_interpreter={Path(sys.executable).resolve()}"]
    if where == "stock" and Path(sys.executable).resolve() == Path(sys.executable):
        pytest.skip("this Python has no second path")
    result, out = _run(tmp_path, *extra)
    _assert_same_results(result)
    assert ("AnsiballZ_budget_check.py" in out) == (where == "stock" or not IN_WORKER)
    # amazon.aws's module: always a new Python, whatever playbook or directory it runs from.
    assert "AnsiballZ_s3_bucket.py" in out


@pytest.mark.parametrize(
    "module, name",
    [
        # ansible-core 2.18: no serialization profiles for module arguments.
        ("ansible.module_utils.common.json", "Direction"),
        ("ansible.module_utils.common.json", "get_module_encoder"),
        # ansible-core 2.17: arguments reach a module without a profile, and no ansible.module_utils._internal.
        ("ansible.module_utils.basic", "_ANSIBLE_PROFILE"),
        ("ansible.module_utils._internal", "is_controller"),
        ("ansible.module_utils.common.warnings", "_global_warnings"),
    ],
)
def test_an_internal_that_is_missing_is_named(monkeypatch, module, name):
    if not IN_WORKER:
        pytest.skip("this ansible-core has no worker path to take away")
    monkeypatch.delattr(importlib.import_module(module), name)
    reason = run_in_controller.borrowed_internals.__wrapped__()
    assert isinstance(reason, str) and name in reason, reason


def _action(task_args: dict, calls: list) -> ActionModule:
    """An action as the strategy makes it, for a local task on the controller's own Python."""
    action = ActionModule.__new__(ActionModule)
    action._task = types.SimpleNamespace(
        action="illustra.webstack.budget_check", args=task_args, collections=[], async_val=0, delegate_to=None,
        check_mode=False, diff=False, no_log=False,
    )  # fmt: skip
    action._connection = types.SimpleNamespace(transport="local", _shell=types.SimpleNamespace(tmpdir=None))
    action._play_context = types.SimpleNamespace(become=False)
    action._templar = types.SimpleNamespace(template=lambda value: value)
    action._shared_loader_obj = types.SimpleNamespace(
        module_loader=types.SimpleNamespace(
            find_plugin_with_context=lambda *a, **k: types.SimpleNamespace(
                resolved_fqcn="illustra.webstack.budget_check"
            )
        )
    )
    action._used_interpreter = None
    action._update_module_args = lambda name, args, task_vars: calls.append("update_module_args")
    action._compute_environment_string = lambda environment: environment.update(WEBSTACK_TEST="set")
    return action


def test_without_the_internals_the_task_takes_the_stock_path(monkeypatch):
    calls = []
    action = _action(OVER_BUDGET, calls)
    monkeypatch.setattr(NormalAction, "run", lambda self, tmp=None, task_vars=None: calls.append("stock") or {})
    monkeypatch.setattr(
        run_in_controller, "borrowed_internals", lambda: "ImportError: no ansible.module_utils._internal"
    )
    monkeypatch.setattr(ActionModule, "_prepare", lambda *a: pytest.fail("prepared for the worker"))
    assert action.run(task_vars={"ansible_python_interpreter": sys.executable}) == {}
    assert calls == ["stock"]


@pytest.mark.skipif(not IN_WORKER, reason="the worker path needs ansible-core 2.19's internals")
def test_a_failure_of_the_internals_before_the_module_runs_takes_the_stock_path(monkeypatch):
    calls = []
    action = _action(OVER_BUDGET, calls)

    def stock_run(self, tmp=None, task_vars=None):
        calls.append("stock")
        return {"stock": True}

    def broken(environment):
        raise KeyError("an internal that changed shape")

    monkeypatch.setattr(NormalAction, "run", stock_run)
    action._compute_environment_string = broken
    monkeypatch.setattr(ActionModule, "_run_in_worker", lambda *a: pytest.fail("the module ran in the worker"))
    assert action.run(task_vars={"ansible_python_interpreter": sys.executable}) == {"stock": True}
    assert calls == ["update_module_args", "stock"]


@pytest.mark.skipif(not IN_WORKER, reason="the worker path needs ansible-core 2.19's internals")
def test_each_run_reports_its_own_warnings_and_leaves_the_worker_as_it_was():
    from ansible.module_utils.common import warnings

    # The items of a loop run one after another in the same worker: the first one's warning is not the second's.
    before = dict(warnings._global_warnings), dict(os.environ), os.getcwd()
    results = []
    for args in (OVER_BUDGET, WITHIN_BUDGET):
        action = _action(dict(args), [])
        results.append(action.run(task_vars={"ansible_python_interpreter": sys.executable}))
    assert [r.get("failed", False) for r in results] == [False, False], results
    assert [len(r.get("warnings", [])) for r in results] == [1, 0], results
    assert (dict(warnings._global_warnings), dict(os.environ), os.getcwd()) == before


def test_every_module_has_the_action():
    # A module without its plugins/action/<module>.py silently takes the stock path (and costs ~0.5 s a task).
    modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py")}
    actions = {p.stem for p in (ROOT / "plugins/action").glob("*.py")}
    assert modules == actions
    for name in actions:
        assert "plugin_utils.run_in_controller import ActionModule" in (ROOT / f"plugins/action/{name}.py").read_text()


def test_no_plugin_beside_a_playbook_changes_how_modules_run():
    # An action (or module) plugin directory beside a playbook applies to every task of every run that loads that
    # playbook, another collection's modules included: what runs where is the collection's business only.
    for directory in ("action_plugins", "library", "module_utils"):
        assert not list(ROOT.glob(f"playbooks/**/{directory}")), directory


SHARED_LOADER = """
import importlib.util, json, sys, boto3, botocore, botocore.session

spec = importlib.util.spec_from_file_location("run_in_controller", sys.argv[2])
run_in_controller = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_in_controller)  # as the strategy's first look at a module's action does

first = boto3.session.Session(region_name="us-east-1")
loader = first._session.get_component("data_loader")
# Read before any client exists: what a worker forked now inherits.
warm = sorted({key[1] for key in loader._cache if key[0] == "load_data_with_path"})
ec2 = first.client("ec2", endpoint_url="http://127.0.0.1:9")
ec2.get_paginator("describe_vpcs"), ec2.get_waiter("vpc_available")
for service in ("iam", "s3", "elbv2", "cloudfront", "ssm", "backup"):
    first.client(service, endpoint_url="http://127.0.0.1:9")
read_later = sorted({key[1] for key in loader._cache if key[0] == "load_data_with_path"} - set(warm))
second = boto3.session.Session(region_name="us-east-1")
again = second.client("ec2", endpoint_url="http://127.0.0.1:9")
run_in_controller.share_botocore_data()  # a second call changes nothing
custom = botocore.session.get_session()
custom.set_config_variable("data_path", sys.argv[1])
print(json.dumps({
    "botocore": botocore.__version__,
    "warm": warm,
    "read_later": read_later,
    "shared": second._session.get_component("data_loader") is loader,
    "same_model": again.meta.service_model._service_description is ec2.meta.service_model._service_description,
    "works": "DescribeVpcs" in again.meta.service_model.operation_names,
    "patched_once": botocore.session.create_loader is run_in_controller._shared_loader,
    # boto3 adds its data path to the loader of each session it makes: once is enough for one loader.
    "search_paths": [len(s._loader.search_paths) for s in (first, second, boto3.session.Session())],
    "custom_path_own_loader": custom.get_component("data_loader") is not loader,
    "custom_path_searched": sys.argv[1] in custom.get_component("data_loader").search_paths,
}))
"""


def _python(code: str, *args: str, **environ: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, **environ),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_session_shares_one_botocore_loader_filled_before_the_first_client(tmp_path):
    # A fresh Python: the controller as it is when the strategy first imports a module's action.
    found = _python(SHARED_LOADER, str(tmp_path), str(ROOT / "plugins/plugin_utils/run_in_controller.py"))
    for service in ("ec2", "iam", "s3", "elbv2", "autoscaling", "cloudfront", "wafv2", "route53", "backup", "ssm"):
        assert any(path.startswith(f"{service}/") and path.endswith("/service-2") for path in found["warm"]), service
    assert {"endpoints", "partitions", "_retry", "sdk-default-configuration"} <= set(found["warm"])
    # Clients, paginators and waiters of those services read nothing more from disk.
    assert found["read_later"] == [], found
    assert found["shared"] and found["same_model"] and found["works"] and found["patched_once"], found
    assert len(set(found["search_paths"])) == 1, found
    # A session given its own data path (AWS_DATA_PATH) reads its own models, as botocore does.
    assert found["custom_path_own_loader"] and found["custom_path_searched"], found


@pytest.mark.parametrize("value", ["false", "no", "0", "off"])
def test_the_switch_turns_the_shared_loader_off(tmp_path, value):
    found = _python(
        SHARED_LOADER,
        str(tmp_path),
        str(ROOT / "plugins/plugin_utils/run_in_controller.py"),
        WEBSTACK_SHARE_BOTOCORE_DATA=value,
    )
    # botocore as it comes: nothing read ahead, one loader per session.
    assert found["warm"] == [] and not found["patched_once"] and not found["shared"], found
    assert found["works"], found


BROKEN_LOADER = """
import importlib.util, json, sys, boto3, botocore.loaders, botocore.session

original = botocore.session.create_loader
def fail(self, name):
    raise RuntimeError("a botocore whose loader works another way")
botocore.loaders.Loader.load_data = fail  # what a botocore release could change under us

spec = importlib.util.spec_from_file_location("run_in_controller", sys.argv[1])
run_in_controller = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_in_controller)
print(json.dumps({
    "left_alone": botocore.session.create_loader is original,
    "shared": run_in_controller.share_botocore_data(),
}))
"""


def test_a_loader_that_works_another_way_is_left_alone():
    found = _python(BROKEN_LOADER, str(ROOT / "plugins/plugin_utils/run_in_controller.py"))
    assert found == {"left_alone": True, "shared": False}


IN_A_WORKER = """
import importlib.util, json, multiprocessing, sys, boto3

def worker(queue):
    spec = importlib.util.spec_from_file_location("run_in_controller", sys.argv[1])
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    loader = boto3.session.Session(region_name="us-east-1")._session.get_component("data_loader")
    boto3.session.Session(region_name="us-east-1").client("sts", endpoint_url="http://127.0.0.1:9")
    queue.put(sorted({key[1].split("/")[0] for key in loader._cache if key[0] == "load_data_with_path"}))

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")  # as ansible-core starts its workers
    queue = context.Queue()
    process = context.Process(target=worker, args=(queue,))
    process.start()
    print(json.dumps(queue.get(timeout=60)))
    process.join()
"""


def test_a_worker_that_imports_the_action_first_reads_only_what_its_task_needs(tmp_path):
    # The controller never saw the action (a run whose first task of ours comes after a forked worker loaded it).
    (tmp_path / "worker.py").write_text(IN_A_WORKER)
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "worker.py"), str(ROOT / "plugins/plugin_utils/run_in_controller.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    read = set(json.loads(proc.stdout))
    assert "sts" in read, read
    assert not read & {"ec2", "iam", "s3", "cloudfront"}, read
