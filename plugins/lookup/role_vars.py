# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values the collection's role variables take when their roles run: plugins/plugin_utils/role_vars.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: role_vars
author: illustra.webstack developers (@illustra)
version_added: 0.2.0
short_description: The value a role variable of this collection takes, from the inventory or the role's defaults
description:
  - Returns, for each variable named, the value it takes when its role runs. The inventory's value (or any
    source above role defaults, such as extra vars) when one is set, else the role's own C(defaults/main.yml).
    A role-internal C(<role>__name) comes from the role's C(vars/main.yml).
  - The role is the collection role whose name prefixes the variable (C(asg_instance_type) is the C(asg) role's).
  - Values are templated as inside the role, so a default built from other defaults resolves through them.
  - Use it where a role's variables are needed before the role runs (the cost gate prices what the roles will build).
options:
  _terms:
    description: Variable names.
    required: true
  default:
    description: Returned for a variable that neither the inventory nor its role defines; without it, that fails.
"""

EXAMPLES = r"""
- name: Price the backend the asg role will build
  ansible.builtin.debug:
    msg: "{{ lookup('illustra.webstack.role_vars', 'asg_instance_type') }} x {{ lookup('illustra.webstack.role_vars', 'asg_desired_capacity') }}"
"""

RETURN = r"""
_raw:
  description: The values, in the order of the names.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.illustra.webstack.plugins.plugin_utils.role_vars import Resolver

_MISSING = object()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        default = self.get_option("default") if "default" in kwargs else _MISSING
        resolver = Resolver(self._loader, self._templar, variables or {})
        values = []
        for term in terms:
            if not isinstance(term, str):
                raise AnsibleError(f"role_vars: variable names are strings, got {term!r}")
            try:
                values.append(resolver.resolve(term, lookups=True))
            except KeyError:
                if default is _MISSING:
                    raise AnsibleError(
                        f"role_vars: no role of illustra.webstack defines {term!r} and it is not set"
                    ) from None
                values.append(default)
        return values
