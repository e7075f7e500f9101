# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an AWS module inside the task's worker when the target is the controller.

The action of every module of this collection (each plugins/action/<module>.py imports it), and of every other
module that has no action of its own when the playbook is one of ours (playbooks/action_plugins/normal.py replaces
ansible.legacy.normal, as ansible-core allows): of those, amazon.aws's and community.aws's modules run in the worker.

Every AWS task of the stack runs on the controller (a local connection). The stock path costs about 0.5 s of CPU
per task before the module does anything: a shell, a temporary directory, a new Python that compiles
ansible.module_utils and amazon.aws's module_utils from the AnsiballZ zip (zipimport keeps no bytecode), then
imports boto3. The task's worker is already a Python process, forked from the controller, with ansible's module_utils
loaded and bytecode cached on disk, so here the module's main() runs in it, fed the same arguments
(`_update_module_args`: check mode, diff, no_log, verbosity) and read back through the same result parser as the
stock path. The worker serves one task (each item of a loop in turn) and exits, so nothing the module does outlives
the task; what the module leaves in shared state (arguments, warnings, environment, working directory) is put back
after each run.

Anything else takes the stock path, unchanged: another collection's module, become, async, delegate_to, another
connection or interpreter, an ansible-core that passes module arguments another way, or
`webstack_modules_in_worker: false`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import multiprocessing
import os
import sys
import traceback

from ansible import constants
from ansible.module_utils import _internal, basic
from ansible.module_utils.common import warnings
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

try:
    import botocore.exceptions
    import botocore.loaders
    import botocore.session
except ImportError:  # the modules report a missing botocore themselves
    botocore = None

# The serialization profile of modules that declare none (all of these), as ansible-core's AnsiballZ uses.
_PROFILE = "legacy"
# Modules known to keep to AnsibleModule's contract: no temporary directory, no fork, no signal handlers.
_IN_WORKER_COLLECTIONS = frozenset({"illustra.webstack", "amazon.aws", "community.aws"})
# The services the stack's modules talk to: their models are read once, in the controller, before any worker forks.
_STACK_SERVICES = (
    "acm", "autoscaling", "backup", "budgets", "cloudfront", "cloudwatch", "ec2", "elbv2", "iam", "logs",
    "resourcegroupstaggingapi", "route53", "s3", "sns", "ssm", "sts", "wafv2",
)  # fmt: skip


class _SearchPaths(list):
    """A shared loader's search paths: each boto3 session appends boto3's own, which is kept once."""

    def append(self, path):
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader(search_path_string=None):
    loader = botocore.loaders.create_loader(search_path_string)
    loader._search_paths = _SearchPaths(loader.search_paths)
    return loader


_shared_loader.webstack_shared = True


def share_botocore_data() -> None:
    """One botocore data loader for every session of this process, and of the workers forked from it, read once.

    Every module makes a new boto3 session, and each session reads its service models, endpoints and partitions
    from disk again (gunzip and JSON: about 0.1 s of CPU per client, more than half of a task's work). botocore
    caches what a loader read, per loader; so every session here shares one loader (per data path), and the
    controller fills it before the first worker forks, which then inherits it. Sessions treat the loaded data as
    read-only, as they already do when one session makes two clients. Without botocore, nothing changes.
    """
    if botocore is None or getattr(botocore.session.create_loader, "webstack_shared", False):
        return
    botocore.session.create_loader = _shared_loader
    if multiprocessing.parent_process() is not None:
        # A worker that imports this first (a stock module's task, via playbooks/action_plugins/normal.py): it
        # serves one task and exits, so it reads only what that task's clients need.
        return
    loader = botocore.session.get_session().get_component("data_loader")
    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        loader.load_data(name)
    # Called as botocore's client calls them: the loader's cache is keyed by the arguments as given.
    for service in _STACK_SERVICES:
        with contextlib.suppress(botocore.exceptions.DataNotFoundError):  # a service this botocore lacks
            model = loader.load_service_model(service, "service-2", api_version=None)
            loader.load_service_model(service, "endpoint-rule-set-1", api_version=None)
            for type_name in ("paginators-1", "waiters-2"):
                with contextlib.suppress(botocore.exceptions.DataNotFoundError):
                    loader.load_service_model(service, type_name, model["metadata"]["apiVersion"])


share_botocore_data()


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # no longer has any effect
        # The task may name the module by its short name (the play's collections keyword): resolve its FQCN.
        module_name = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections
        ).resolved_fqcn
        if self._runs_in_controller(module_name, task_vars):
            return merge_hash(result, self._run_in_worker(module_name, task_vars))
        # The stock path, as ansible.builtin.normal takes it.
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if self._task.action in constants._ACTION_SETUP:
            result["_ansible_verbose_override"] = True
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _runs_in_controller(self, module_name: str | None, task_vars: dict) -> bool:
        """True when the stock path would start this same Python on this same machine as this same user."""
        if not module_name or module_name.rpartition(".")[0] not in _IN_WORKER_COLLECTIONS:
            return False
        if not hasattr(basic, "_ANSIBLE_PROFILE"):  # ansible-core before 2.19 passes arguments another way
            return False
        if self._connection.transport != "local" or self._play_context.become:
            return False
        if self._task.async_val or self._task.delegate_to:
            return False
        if not boolean(self._templar.template(task_vars.get("webstack_modules_in_worker", True)), strict=False):
            return False
        interpreter = task_vars.get("ansible_python_interpreter")
        if not interpreter:  # left to discovery, which may pick another Python
            return False
        return self._templar.template(interpreter) == sys.executable

    def _run_in_worker(self, module_name: str, task_vars: dict) -> dict:
        module_args = self._task.args.copy()
        self._update_module_args(module_name, module_args, task_vars)
        environment: dict = {}
        self._compute_environment_string(environment)
        encoder = get_module_encoder(_PROFILE, Direction.CONTROLLER_TO_MODULE)
        arguments = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder).encode()

        stdout = io.StringIO()
        saved_is_controller = _internal.is_controller
        saved_arguments = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS
        saved_warnings = dict(warnings._global_warnings), dict(warnings._global_deprecations)
        saved_environ, saved_cwd = dict(os.environ), os.getcwd()
        try:
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = arguments, _PROFILE
            # As on a target: warnings and deprecations go into the module's result, not straight to the display.
            _internal.is_controller = False
            # Each run reports its own warnings only, as a new Python would (a loop's items share the worker).
            warnings._global_warnings.clear()
            warnings._global_deprecations.clear()
            os.environ.update({str(k): str(v) for k, v in environment.items()})
            namespace, collection, name = module_name.split(".")
            module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}")
            with contextlib.redirect_stdout(stdout):
                module.main()
        except SystemExit:
            pass  # exit_json and fail_json print the result, then exit
        except Exception as ex:  # what the stock path reports as MODULE FAILURE, with the module's traceback
            return {
                "failed": True,
                "msg": f"MODULE FAILURE: {type(ex).__name__}: {ex}",
                "exception": traceback.format_exc(),
            }
        finally:
            _internal.is_controller = saved_is_controller
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS = saved_arguments
            warnings._global_warnings.clear()
            warnings._global_warnings.update(saved_warnings[0])
            warnings._global_deprecations.clear()
            warnings._global_deprecations.update(saved_warnings[1])
            os.environ.clear()
            os.environ.update(saved_environ)
            os.chdir(saved_cwd)

        data = self._parse_returned_data({"rc": 0, "stdout": stdout.getvalue(), "stderr": ""}, _PROFILE)
        remove_internal_keys(data)
        return data
