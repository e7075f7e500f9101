# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight module's action: resolves the roles' variables on the controller, then runs the module.

With ``roles``, every option of those roles' argument specs (and the ``webstack_*`` variables of the preflight
role's spec) is resolved as the role will see it: the task's variables (inventory, extra vars), else the role's
own defaults (plugins/plugin_utils/role_vars.py). The module then checks them with the specs themselves. Options a
spec marks ``no_log`` travel in the module's ``no_log`` option ``secrets``. The module runs in the task's worker
when it can (plugins/plugin_utils/run_in_controller.py).
"""

from __future__ import annotations

from ansible_collections.illustra.webstack.plugins.module_utils._preflight import DERIVED_NAMES
from ansible_collections.illustra.webstack.plugins.plugin_utils.role_vars import (
    Resolver,
    argument_spec_options,
    role_of,
)
from ansible_collections.illustra.webstack.plugins.plugin_utils.run_in_controller import ActionModule as RunModule


class ActionModule(RunModule):
    def run(self, tmp=None, task_vars=None):
        args = dict(self._task.args)
        roles = args.get("roles")
        if roles:
            self._task.args = dict(args, **self._resolve(list(roles), task_vars or {}, args))
        return super().run(tmp, task_vars)

    def _resolve(self, roles, task_vars, args):
        specs = {role: argument_spec_options(self._loader, role) for role in roles}
        names = set(argument_spec_options(self._loader, "preflight"))
        secret_names = set()
        for options in specs.values():
            names.update(options)
            secret_names.update(name for name, option in options.items() if (option or {}).get("no_log"))
        names.update(n for n in DERIVED_NAMES if role_of(n, roles))
        resolver = Resolver(self._loader, self._templar, task_vars)
        values, unresolved = resolver.resolve_many(sorted(names))
        secrets = {name: values.pop(name) for name in secret_names if name in values}
        # A template error may quote the template, and a secret's template may hold the secret.
        unresolved.update({name: "a secret; the error is not shown" for name in secret_names & set(unresolved)})
        return {
            "variables": dict(values, **(args.get("variables") or {})),
            "secrets": dict(secrets, **(args.get("secrets") or {})),
            "argument_specs": dict(specs, **(args.get("argument_specs") or {})),
            "unresolved": dict(unresolved, **(args.get("unresolved") or {})),
        }
