# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value a role's variable takes when the role runs, known before it runs.

Preflight and the cost gate run before the infrastructure roles, in a play that has not loaded them, so their
defaults are not variables yet. Copying those defaults into preflight made it check and price something other
than what the roles build (they drift). Here the roles' own files are the one source: a variable takes the value
any higher-precedence source gives it (the inventory, extra vars, facts: the task's variables), else the role's
``defaults/main.yml``; a role-internal ``<role>__name`` comes from the role's ``vars/main.yml``, which outranks
the inventory. Values are templated as they would be inside the role, so a default built from other defaults
(``alb_target_group_name: "{{ alb_name }}-web"``) resolves through them.

What this cannot see: values a playbook sets for a role (play ``vars:``, ``include_role`` ``vars:``). The
collection's playbooks set none; a user's playbook that does should set them in the inventory instead.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import re

import yaml
from ansible.errors import AnsibleError

try:
    from ansible.template import trust_as_template  # ansible-core 2.19+: only trusted strings are templated
except ImportError:  # before 2.19 every string is a template
    trust_as_template = None

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# roles/ of this collection: plugins/plugin_utils/ is two levels below the collection's root. Not resolved, so
# that a collection installed through a link (as `make setup` links this checkout) finds its own roles.
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


def role_names(roles_dir=ROLES_DIR):
    return sorted(
        name for name in os.listdir(roles_dir) if os.path.isfile(os.path.join(roles_dir, name, "meta", "main.yml"))
    )


def role_of(variable, roles):
    """The role a variable belongs to: its longest role-name prefix (roles prefix their variables), else None."""
    owners = [role for role in roles if variable.startswith(role + "_")]
    return max(owners, key=len) if owners else None


def _trusted(data):
    if isinstance(data, str):
        return trust_as_template(data) if trust_as_template is not None and "{" in data else data
    if isinstance(data, dict):
        return {key: _trusted(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_trusted(value) for value in data]
    return data


@functools.cache
def _parse(path, mtime):
    # A role's files are the collection's own (no vault, no !unsafe): libyaml reads them several times faster
    # than Ansible's loader, which also records every value's origin. Their templates are trusted, as Ansible
    # trusts a role's files.
    del mtime  # part of the cache key only
    with open(path, encoding="utf-8") as stream:
        return _trusted(yaml.load(stream, Loader=_YamlLoader) or {})


def _load(loader, path):
    del loader  # kept in the signature: the files are the collection's, read directly
    try:
        return dict(_parse(path, os.path.getmtime(path)))
    except FileNotFoundError:
        return {}


def role_files(loader, role, roles_dir=ROLES_DIR):
    """(defaults, vars) of a role, as Ansible loads them (the loader caches files it has read)."""
    base = os.path.join(roles_dir, role)
    return _load(loader, os.path.join(base, "defaults", "main.yml")), _load(
        loader, os.path.join(base, "vars", "main.yml")
    )


def argument_spec_options(loader, role, entry_point="main", roles_dir=ROLES_DIR):
    """The options of a role's argument spec entry point ({} when the role has none)."""
    specs = _load(loader, os.path.join(roles_dir, role, "meta", "argument_specs.yml"))
    return dict(((specs.get("argument_specs") or {}).get(entry_point) or {}).get("options") or {})


def _templar_for(templar, variables):
    new = templar.copy_with_new_env()
    new.available_variables = variables
    return new


# A lookup in a role's own default reads the world (an SSM parameter, a file) when templated; before the role
# runs, such a value is unknown rather than resolved (preflight makes no AWS call).
_LOOKUP_RE = re.compile(r"\b(lookup|query|q)\s*\(")
_NAME_RE = re.compile(r"\b[a-z_][a-z0-9_]*\b")


def _has_template(value):
    """Whether a value holds a Jinja expression or statement (a plain value is used as it is, as Ansible would)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_template(v) for v in value)
    return False


class LookupNeededError(KeyError):
    """The role's own value is built with a lookup: it is only known when the role runs."""


class Resolver:
    """Resolves variables of the collection's roles against one task's variables."""

    def __init__(self, loader, templar, task_vars, roles_dir=ROLES_DIR):
        self._loader = loader
        self._templar = templar
        self._task_vars = task_vars
        self._roles_dir = roles_dir
        self._roles = role_names(roles_dir)
        self._templars = {}
        self._files = {}

    def _role_files(self, role):
        if role not in self._files:
            self._files[role] = role_files(self._loader, role, self._roles_dir)
        return self._files[role]

    def _templar_of(self, role):
        if role not in self._templars:
            if role is None:
                self._templars[role] = _templar_for(self._templar, self._task_vars)
            else:
                defaults, role_vars = self._role_files(role)
                # Ansible's precedence as the role sees it: role vars > the task's variables > role defaults.
                context = collections.ChainMap(role_vars, self._task_vars, defaults)
                self._templars[role] = _templar_for(self._templar, context)
        return self._templars[role]

    def defined(self, name):
        """Whether the variable has a value anywhere (the task's variables or its role's files)."""
        templar = self._templar_of(role_of(name, self._roles))
        return name in templar.available_variables

    def _role_value_uses_lookup(self, role, name, seen):
        """Whether a value from the role's own files is built with a lookup, directly or through the role's others."""
        if role is None or name in seen:
            return False
        seen.add(name)
        defaults, role_vars = self._role_files(role)
        if name in role_vars:
            raw = role_vars[name]
        elif name in defaults and name not in self._task_vars:
            raw = defaults[name]
        else:
            return False  # the inventory's value, or another role's: used as given
        text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
        if "{" not in text:
            return False
        if _LOOKUP_RE.search(text):
            return True
        return any(self._role_value_uses_lookup(role, other, seen) for other in set(_NAME_RE.findall(text)) - {name})

    def resolve(self, name, lookups=False):
        """The variable's value.

        Raises KeyError when nothing defines it, LookupNeededError when the role builds it with a lookup (known only when
        the role runs; ``lookups=True`` runs it), AnsibleError when it does not template.
        """
        role = role_of(name, self._roles)
        templar = self._templar_of(role)
        variables = templar.available_variables
        if name not in variables:
            raise KeyError(name)
        if not lookups and self._role_value_uses_lookup(role, name, set()):
            raise LookupNeededError(name)
        raw = variables[name]
        return templar.template(raw) if _has_template(raw) else raw

    def resolve_many(self, names):
        """({name: value} for the names defined and known, {name: error message} for those that do not template)."""
        values, errors = {}, {}
        for name in names:
            try:
                values[name] = self.resolve(name)
            except KeyError:
                continue
            except AnsibleError as e:
                errors[name] = str(e).split("\n", 1)[0]
        return values, errors
