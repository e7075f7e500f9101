"""Each environment's facts are set once, in inventories/<env>/group_vars/all/webstack.yml; what repeats them agrees.

- inventories/<env>/aws_ec2.yml: an inventory plugin reads its file before any group_vars exist, so the region
  and the tag filters are written there again;
- docs/development.md's table of the webstack_* variables and README.md's environment table show them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("dev", "staging", "prod")


def webstack_vars(env: str) -> dict:
    return yaml.safe_load((ROOT / "inventories" / env / "group_vars" / "all" / "webstack.yml").read_text())


def markdown_rows(path: Path, first_cell: str) -> dict[str, list[str]]:
    """The rows of the table whose header starts with `first_cell`: {first cell: [the other cells]}."""
    rows, inside = {}, False
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
        if cells is None:
            if inside:
                break
            continue
        if cells[0] == first_cell:
            inside = True
        elif inside and not set(cells[0]) <= {"-"}:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


@pytest.mark.parametrize("env", ENVS)
def test_the_ec2_inventory_repeats_the_environment_exactly(env):
    values = webstack_vars(env)
    project, name = values["webstack_project"], values["webstack_env"]
    plugin = yaml.safe_load((ROOT / "inventories" / env / "aws_ec2.yml").read_text())
    assert plugin["regions"] == [values["webstack_region"]]
    assert plugin["filters"]["tag:Project"] == project
    assert plugin["filters"]["tag:Environment"] == name
    assert f"'{project}-{name}-backend'" in plugin["groups"][f"backend_{name}"]
    assert plugin["compose"]["ansible_aws_ssm_bucket_name"].startswith(f"'{project}-{name}-artifacts-'")


@pytest.mark.parametrize("env", ENVS)
def test_the_region_is_set_once_in_group_vars(env):
    group_vars = ROOT / "inventories" / env / "group_vars"
    setters = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(group_vars.rglob("*.yml"))
        if re.search(r"^\s*(webstack_region|region|aws_region)\s*:", path.read_text(), re.MULTILINE)
    ]
    assert setters == [f"inventories/{env}/group_vars/all/webstack.yml"]


def test_development_doc_shows_every_webstack_variable_as_the_inventories_set_it():
    rows = markdown_rows(ROOT / "docs" / "development.md", "variable")
    assert rows, "docs/development.md has no table of the webstack_* variables"
    for index, env in enumerate(ENVS):
        values = webstack_vars(env)
        assert set(values) <= set(rows), f"{env}: variables missing from docs/development.md's table"
        for variable, cells in rows.items():
            shown = cells[index]
            if shown == "[...]":  # a non-empty list, too long for the table
                assert values[variable], (env, variable)
            elif isinstance(values[variable], str):  # as written (YAML would read off as false)
                assert shown.strip('"') == values[variable], (env, variable, shown)
            else:
                assert yaml.safe_load(shown) == values[variable], (env, variable, shown)


@pytest.mark.parametrize(
    ("row", "variable"), [("budget (USD/month)", "webstack_budget_usd"), ("policy", "webstack_policy_level")]
)
def test_readme_environment_table_matches_the_inventories(row, variable):
    rows = markdown_rows(ROOT / "README.md", "")
    assert [yaml.safe_load(cell) for cell in rows[row][:3]] == [webstack_vars(env)[variable] for env in ENVS]
