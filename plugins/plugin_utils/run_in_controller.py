# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of this collection's modules inside the task's worker when the target is the controller.

The action of every module of this collection: each plugins/action/<module>.py imports it. Other collections'
modules are never touched: they keep their own action (ansible.builtin.normal for most).

Every AWS task of the stack runs on the controller (a local connection). The stock path costs about 0.5 s of CPU
per task before the module does anything: a shell, a temporary directory, a new Python that compiles
ansible.module_utils and amazon.aws's module_utils from the AnsiballZ zip (zipimport keeps no bytecode), then
imports boto3 and reads botocore's models. The task's worker is already a Python process, forked from the
controller, with ansible's module_utils loaded and bytecode cached on disk, so here the module's main() runs in it,
fed the same arguments (`_update_module_args`: check mode, diff, no_log, verbosity) and read back through the same
result parser as the stock path. The worker serves one task (each item of a loop in turn) and exits, so nothing the
module does outlives the task; what the module leaves in shared state (arguments, warnings, environment, working
directory) is put back after each run.

That borrows ansible-core internals that only ansible-core 2.19 has (how AnsiballZ hands a module its arguments
and serialization profile, the module-side warning store): they are imported when first needed, checked, and on
any ImportError or AttributeError, or any other failure of theirs before the module runs, the task takes the stock
path (ansible.builtin.normal's, unchanged). So do another host, connection or interpreter, become, async,
delegate_to, and `webstack_modules_in_worker: false`. meta/runtime.yml's requires_ansible is the window tested:
the lowest ansible-core in CI (`make compat`, stock path) and the newest (in the worker).

Separately, every boto3 session of the process shares one botocore data loader, filled once in the controller
(share_botocore_data below); WEBSTACK_SHARE_BOTOCORE_DATA=false in the controller's environment turns that off.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import json
import multiprocessing
import os
import sys
import traceback
import types

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

try:
    import botocore.exceptions
    import botocore.loaders
    import botocore.session
except ImportError:  # the modules report a missing botocore themselves
    botocore = None

display = Display()

# The serialization profile of modules that declare none (all of ours), as ansible-core's AnsiballZ uses.
_PROFILE = "legacy"
# The environment variable that turns the shared botocore loader off (read once, in the controller).
SHARE_BOTOCORE_DATA = "WEBSTACK_SHARE_BOTOCORE_DATA"
# The services the stack's modules talk to: their models are read once, in the controller, before any worker forks.
_STACK_SERVICES = (
    "acm", "autoscaling", "backup", "budgets", "cloudfront", "cloudwatch", "ec2", "elbv2", "iam", "logs",
    "resourcegroupstaggingapi", "route53", "s3", "sns", "ssm", "sts", "wafv2",
)  # fmt: skip


@functools.cache
def borrowed_internals() -> types.SimpleNamespace | str:
    """The ansible-core internals the worker path needs, checked; or why they cannot be used (a string).

    Imported here, not at the top, so that loading this action never fails on an ansible-core without them.
    """
    try:
        from ansible.module_utils import _internal, basic  # noqa: PLC0415
        from ansible.module_utils.common import warnings  # noqa: PLC0415
        from ansible.module_utils.common.json import Direction, get_module_encoder  # noqa: PLC0415
        from ansible.vars.clean import remove_internal_keys  # noqa: PLC0415

        for name in ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE", "_PARSED_MODULE_ARGS"):
            getattr(basic, name)
        if not isinstance(_internal.is_controller, bool):
            return "ansible.module_utils._internal.is_controller is not a flag"
        if not isinstance(warnings._global_warnings, dict) or not isinstance(warnings._global_deprecations, dict):
            return "the module-side warning store is not a dict"
        encoder = get_module_encoder(_PROFILE, Direction.CONTROLLER_TO_MODULE)
        for method in ("_update_module_args", "_compute_environment_string"):
            getattr(ActionBase, method)
        if len(inspect.signature(ActionBase._parse_returned_data).parameters) != 3:  # self, res, profile
            return "ActionBase._parse_returned_data takes other arguments"
    except Exception as ex:  # pylint: disable=broad-exception-caught  # ImportError, AttributeError above all
        return f"{type(ex).__name__}: {ex}"
    return types.SimpleNamespace(
        internal=_internal,
        basic=basic,
        warnings=warnings,
        encoder=encoder,
        remove_internal_keys=remove_internal_keys,
    )


class _SearchPaths(list):
    """A shared loader's search paths: each boto3 session appends boto3's own, which is kept once."""

    def append(self, path):
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader(search_path_string=None):
    loader = _original_create_loader(search_path_string)
    # botocore's Loader.search_paths hands out its own list (boto3 appends to it): only then is it shared safely.
    if isinstance(getattr(loader, "_search_paths", None), list) and loader.search_paths is loader._search_paths:
        loader._search_paths = _SearchPaths(loader._search_paths)
    return loader


_shared_loader.webstack_shared = True
_original_create_loader = botocore.session.create_loader if botocore else None


def sharing_enabled(environ=None) -> bool:
    """The documented switch: WEBSTACK_SHARE_BOTOCORE_DATA (default true; false, no, 0 or off turn it off)."""
    return boolean((os.environ if environ is None else environ).get(SHARE_BOTOCORE_DATA, "true"), strict=False)


def share_botocore_data() -> bool:
    """One botocore data loader for every session of this process, and of the workers forked from it, read once.

    Every module makes a new boto3 session, and each session reads its service models, endpoints and partitions
    from disk again (gunzip and JSON: about 0.1 s of CPU per client, more than half of a task's work). botocore
    caches what a loader read, per loader; so every session here shares one loader (per data path), and the
    controller fills it before the first worker forks, which then inherits it. Sessions treat the loaded data as
    read-only, as they already do when one session makes two clients.

    Returns whether sessions share the loader. Nothing changes without botocore, with the switch off, or when this
    botocore's loader does not work as expected (then botocore is left exactly as it was).
    """
    if botocore is None or not sharing_enabled():
        return False
    if getattr(botocore.session.create_loader, "webstack_shared", False):
        return True
    try:
        botocore.session.create_loader = _shared_loader
        if multiprocessing.parent_process() is not None:
            # A worker that imports this first (another collection's module ran before ours, or a lookup): it
            # serves one task and exits, so it reads only what that task's clients need.
            return True
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
    except Exception as ex:  # pylint: disable=broad-exception-caught
        botocore.session.create_loader = _original_create_loader
        _shared_loader.cache_clear()
        display.warning(f"illustra.webstack: botocore's data is not shared ({type(ex).__name__}: {ex})")
        return False
    return True


share_botocore_data()


class ActionModule(NormalAction):
    """ansible.builtin.normal's action, with the module run in the worker when the target is the controller."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        internals = borrowed_internals()
        prepared = None
        if isinstance(internals, str):
            display.vvv(f"illustra.webstack: the stock path for {self._task.action} ({internals})")
        elif self._runs_in_controller(task_vars):
            try:
                prepared = self._prepare(internals, task_vars)
            except Exception as ex:  # pylint: disable=broad-exception-caught
                # Nothing ran yet: the stock path does the same work without the borrowed internals.
                display.vvv(f"illustra.webstack: the stock path for {self._task.action} ({type(ex).__name__}: {ex})")
        if prepared is None:
            return super().run(tmp, task_vars)
        result = ActionBase.run(self, tmp, task_vars)
        return merge_hash(result, self._run_in_worker(internals, *prepared))

    def _runs_in_controller(self, task_vars: dict) -> bool:
        """True when the stock path would start this same Python on this same machine as this same user."""
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

    def _prepare(self, internals, task_vars: dict) -> tuple:
        """The module's main(), its arguments as AnsiballZ would encode them, and its environment."""
        # The task may name the module by its short name (the play's collections keyword): resolve its FQCN.
        module_name = self._shared_loader_obj.module_loader.find_plugin_with_context(
            self._task.action, collection_list=self._task.collections
        ).resolved_fqcn
        namespace, collection, name = module_name.split(".")
        if f"{namespace}.{collection}" != "illustra.webstack":
            raise ValueError(f"{module_name} is not one of this collection's modules")
        module_args = self._task.args.copy()
        self._update_module_args(module_name, module_args, task_vars)
        environment: dict = {}
        self._compute_environment_string(environment)
        arguments = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=internals.encoder).encode()
        module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}")
        return module.main, arguments, {str(k): str(v) for k, v in environment.items()}

    def _run_in_worker(self, internals, main, arguments: bytes, environment: dict) -> dict:
        basic, warnings, _internal = internals.basic, internals.warnings, internals.internal
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
            os.environ.update(environment)
            with contextlib.redirect_stdout(stdout):
                main()
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
        internals.remove_internal_keys(data)
        return data
