"""Module messages name the module's own options, never a role's variables: a module is also called directly,
where `vpc_cidr_block` or `webstack_budget_usd` mean nothing.

Every string in plugins/modules and plugins/module_utils (docstrings and the DOCUMENTATION, EXAMPLES and
RETURN blocks aside) is searched for the names the roles define (defaults, vars and argument specs) and for
webstack_*. A name that is also an option of the module (or, in module_utils, of a module that imports it)
is allowed. The preflight module and _preflight.py are left out: checking the roles' variables is their job.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE_CHECKERS = {"preflight.py", "_preflight.py"}
NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
UTILS_IMPORT = re.compile(r"plugins\.module_utils(?:\.(_\w+)| import (_\w+))")


def role_variables():
    names = set()
    for role in sorted((ROOT / "roles").iterdir()):
        for rel in ("defaults/main.yml", "vars/main.yml"):
            path = role / rel
            if path.exists():
                names |= set(yaml.safe_load(path.read_text()) or {})
        specs = role / "meta" / "argument_specs.yml"
        if specs.exists():
            for entry in (yaml.safe_load(specs.read_text()).get("argument_specs") or {}).values():
                names |= set(entry.get("options") or {})
    return {n for n in names if "__" not in n}  # <role>__output facts are published, not set


def option_names(options):
    names = set()
    for name, spec in (options or {}).items():
        names.add(name)
        names |= set((spec or {}).get("aliases") or [])
        names |= option_names((spec or {}).get("suboptions"))
    return names


def _documentation(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    return {}


def messages(tree):
    """(line, text) of every string constant but docstrings and the documentation blocks."""
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) in ("DOCUMENTATION", "EXAMPLES", "RETURN") for t in node.targets
        ):
            skipped |= {id(sub) for sub in ast.walk(node.value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value


def allowed_names():
    """Per plugin file: the options it may name (its own; for module_utils, those of the modules using it)."""
    modules = {p: ast.parse(p.read_text()) for p in sorted((ROOT / "plugins" / "modules").glob("*.py"))}
    utils = {p: ast.parse(p.read_text()) for p in sorted((ROOT / "plugins" / "module_utils").glob("*.py"))}
    allowed = {p: option_names(_documentation(tree).get("options")) for p, tree in modules.items()}
    uses = {p: {a or b for a, b in UTILS_IMPORT.findall(p.read_text())} for p in [*modules, *utils]}
    for path in utils:
        allowed[path] = set()
    changed = True
    while changed:  # module_utils importing module_utils: the options of every module above them
        changed = False
        for user, names in uses.items():
            for util in names:
                path = ROOT / "plugins" / "module_utils" / f"{util}.py"
                if path in allowed and not allowed[user] <= allowed[path]:
                    allowed[path] |= allowed[user]
                    changed = True
    return {p: allowed[p] for p in [*modules, *utils]}, {**modules, **utils}


ALLOWED, TREES = allowed_names()
ROLE_VARIABLES = role_variables()


def test_the_role_variables_are_found():
    assert {"vpc_cidr_block", "asg_image_id", "frontend_s3_force_destroy", "cloudwatch_log_retention_days"} <= (
        ROLE_VARIABLES
    )


def role_variables_named(tree, allowed):
    found = []
    for line, text in messages(tree):
        named = sorted(
            n
            for n in set(NAME.findall(text))
            if (n in ROLE_VARIABLES or n.startswith("webstack_")) and n not in allowed
        )
        if named:
            found.append(f"line {line} names {', '.join(named)}: {text[:100]!r}")
    return found


@pytest.mark.parametrize("path", [p for p in TREES if p.name not in ROLE_CHECKERS], ids=lambda p: p.name)
def test_no_module_message_names_a_role_variable(path):
    assert role_variables_named(TREES[path], ALLOWED[path]) == []


@pytest.mark.parametrize(
    ("source", "allowed", "named"),
    [
        ('module.fail_json(msg="set vpc_cidr_block back")', set(), "vpc_cidr_block"),
        ('raise ValueError(f"{x}: raise webstack_budget_usd")', set(), "webstack_budget_usd"),
        ('module.fail_json(msg="set vpc_cidr_block back")', {"vpc_cidr_block"}, None),  # an option of the module
        ('"""Docstrings may speak of vpc_cidr_block."""', set(), None),
    ],
)
def test_the_check_finds_what_it_should(source, allowed, named):
    found = role_variables_named(ast.parse(source), allowed)
    assert (named in found[0]) if named else found == []
