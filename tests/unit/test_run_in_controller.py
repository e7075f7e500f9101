"""The collection's action: a module runs inside the task's worker when the target is the controller's own Python,
and the stock way (a shell and a new Python, the EXEC lines of -vvv) otherwise, with the same result either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from ansible.module_utils.common import warnings
from ansible_collections.illustra.webstack.plugins.plugin_utils.run_in_controller import ActionModule

ROOT = Path(__file__).resolve().parents[2]
# A valid configuration (the preflight module's variables): it passes with one flagged exception, a warning.
DEV = {"webstack_project": "illustra", "webstack_env": "dev", "webstack_region": "us-east-1", "webstack_extra_tags": {},
       "webstack_website_mode": "s3_website", "webstack_custom_domain": False, "webstack_domain": "",
       "webstack_waf_mode": "block", "webstack_backend_mode": "asg", "webstack_monitoring_level": "essential",
       "webstack_backup_mode": "off", "webstack_budget_usd": 20, "webstack_policy_level": "warning",
       "webstack_alert_emails": [], "webstack_access_logs": True, "vpc_cidr_block": "10.10.0.0/16",
       "vpc_az_count": 2}  # fmt: skip
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Review a configuration with one problem
      illustra.webstack.preflight:
        variables: {webstack_env: nope}
      register: review
      ignore_errors: true
    - name: A module failure is the task's failure
      illustra.webstack.preflight:
        variables: not a dict
      register: failure
      ignore_errors: true
    - name: A stock module with no action of its own (playbooks/action_plugins/normal.py)
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
    # The action plugins beside the collection's playbooks, as ansible-playbook playbooks/site.yml loads them.
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_ACTION_PLUGINS=str(ROOT / "playbooks/action_plugins"))  # fmt: skip
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", str(tmp_path / "play.yml"),
         "-e", f"result_file={tmp_path / 'result.json'}", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return json.loads((tmp_path / "result.json").read_text()), proc.stdout


@pytest.mark.parametrize("where", ["controller", "stock"])
def test_same_result_in_the_worker_and_the_stock_way(tmp_path, where):
    # Another interpreter path for the same Python: the action cannot know it is the same, so it goes the stock way.
    extra = [] if where == "controller" else ["-e", f"ansible_python_interpreter={Path(sys.executable).resolve()}"]
    if where == "stock" and Path(sys.executable).resolve() == Path(sys.executable):
        pytest.skip("this Python has no second path")
    result, out = _run(tmp_path, *extra)
    assert result["changed"] is False
    assert "webstack_env: 'nope' is not an environment" in result["review"], result
    assert "variables" in result["failure"] and "dict" in result["failure"], result
    assert "missing required arguments: name" in result["stock"], result
    for module in ("preflight", "s3_bucket"):
        ran_a_python = f"AnsiballZ_{module}.py" in out
        assert ran_a_python == (where == "stock"), module


def test_every_module_has_the_action():
    # A module without its plugins/action/<module>.py silently takes the stock path (and costs ~0.5 s a task).
    modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py")}
    actions = {p.stem for p in (ROOT / "plugins/action").glob("*.py")}
    assert modules == actions
    for name in actions:
        assert "plugin_utils.run_in_controller import ActionModule" in (ROOT / f"plugins/action/{name}.py").read_text()


def test_each_run_reports_its_own_warnings_and_leaves_the_worker_as_it_was():
    # The items of a loop run one after another in the same worker: the first one's warning is not the second's.
    action = ActionModule.__new__(ActionModule)
    action._used_interpreter = None
    action._update_module_args = lambda name, args, task_vars: None
    action._compute_environment_string = lambda environment: environment.update(WEBSTACK_TEST="set")
    before = dict(warnings._global_warnings), dict(os.environ), os.getcwd()
    results = []
    for variables in (DEV, dict(DEV, webstack_website_mode="cloudfront")):
        action._task = types.SimpleNamespace(args={"variables": variables})
        results.append(action._run_in_worker("illustra.webstack.preflight", {}))
    assert [r.get("failed", False) for r in results] == [False, False], results
    assert [len(r.get("warnings", [])) for r in results] == [1, 0], results
    assert (dict(warnings._global_warnings), dict(os.environ), os.getcwd()) == before


SHARED_LOADER = """
import importlib.util, json, sys, boto3, botocore.session

spec = importlib.util.spec_from_file_location("run_in_controller", sys.argv[2])
run_in_controller = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_in_controller)  # as the strategy's first look at a module's action does

first = boto3.session.Session(region_name="us-east-1")
loader = first._session.get_component("data_loader")
# Read before any client exists: what a worker forked now inherits.
warm = sorted({key[1] for key in loader._cache if key[0] == "load_data_with_path"})
ec2 = first.client("ec2", endpoint_url="http://127.0.0.1:9")
ec2.get_paginator("describe_vpcs"), ec2.get_waiter("vpc_available")
for service in ("iam", "s3", "elbv2", "cloudfront"):
    first.client(service, endpoint_url="http://127.0.0.1:9")
read_later = sorted({key[1] for key in loader._cache if key[0] == "load_data_with_path"} - set(warm))
second = boto3.session.Session(region_name="us-east-1")
again = second.client("ec2", endpoint_url="http://127.0.0.1:9")
run_in_controller.share_botocore_data()  # a second call changes nothing
custom = botocore.session.get_session()
custom.set_config_variable("data_path", sys.argv[1])
print(json.dumps({
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


def test_every_session_shares_one_botocore_loader_filled_before_the_first_client(tmp_path):
    # A fresh Python: the controller as it is when the strategy first imports a module's action.
    proc = subprocess.run(
        [sys.executable, "-c", SHARED_LOADER, str(tmp_path), str(ROOT / "plugins/plugin_utils/run_in_controller.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    for service in ("ec2", "iam", "s3", "elbv2", "autoscaling", "cloudfront", "wafv2", "route53", "backup"):
        assert any(path.startswith(f"{service}/") and path.endswith("/service-2") for path in found["warm"]), service
    assert {"endpoints", "partitions", "_retry", "sdk-default-configuration"} <= set(found["warm"])
    # Clients, paginators and waiters of those services read nothing more from disk.
    assert found["read_later"] == [], found["read_later"]
    assert found["shared"] and found["same_model"] and found["works"] and found["patched_once"], found
    assert len(set(found["search_paths"])) == 1, found
    # A session given its own data path (AWS_DATA_PATH) reads its own models, as botocore does.
    assert found["custom_path_own_loader"] and found["custom_path_searched"], found


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
    # The controller never saw the action (a stock module's task through playbooks/action_plugins/normal.py).
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
