"""The AWX / AAP configuration as code (awx/, playbooks/awx_configure.yml), checked without an AWX server.

What an AWX server would reject or silently get wrong is checked here: the data against its schema,
every job template against the playbooks in the repository, every survey variable against the
variables the playbooks and roles use, the workflow graph (order, approval gate, rollback branches),
the schedules, and every awx.awx task argument against the module's own documentation.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from dateutil.rrule import rrulestr

ROOT = Path(__file__).resolve().parents[2]
AWX = ROOT / "awx"
PLAYBOOK = ROOT / "playbooks" / "awx_configure.yml"
AWX_COLLECTION = ROOT / ".venv" / "lib" / "python3.11" / "site-packages" / "ansible_collections" / "awx" / "awx"
ENVS = ["dev", "staging", "prod"]
# The operations that must be launchable from AWX, by playbook.
REQUIRED_PLAYBOOKS = {
    "playbooks/site.yml",
    "playbooks/rollback.yml",
    "playbooks/validate.yml",
    "playbooks/backup.yml",
    "playbooks/restore.yml",
    "playbooks/teardown.yml",
    "playbooks/bootstrap.yml",
}
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def load(path: Path):
    return yaml.safe_load(path.read_text())


CONFIG = load(AWX / "config.yml")
SPECS = load(AWX / "argument_specs.yml")["argument_specs"]
TEMPLATES = {jt["key"]: jt for jt in CONFIG["awx_job_templates"]}
NODES = {node["id"]: node for node in CONFIG["awx_workflow"]["nodes"]}


def surveys():
    """(owner, question) for every survey question of the job templates and the workflow."""
    for jt in CONFIG["awx_job_templates"]:
        for question in jt.get("survey", {}).get("spec", []):
            yield jt["key"], question
    for question in CONFIG["awx_workflow"].get("survey", {}).get("spec", []):
        yield "workflow", question


SURVEY_QUESTIONS = list(surveys())
QUESTION_IDS = [f"{owner}:{q['variable']}" for owner, q in SURVEY_QUESTIONS]


@cache
def variable_corpus() -> str:
    """What the playbooks, roles and inventories say: where a survey variable must be used."""
    files = [p for p in (ROOT / "playbooks").glob("*.yml") if p != PLAYBOOK]
    for pattern in ("meta/argument_specs.yml", "defaults/main.yml", "tasks/*.yml", "vars/*.yml", "templates/*"):
        files += (ROOT / "roles").glob(f"*/{pattern}")
    files += (ROOT / "inventories").glob("**/*.yml")
    return "\n".join(p.read_text(errors="replace") for p in sorted(files))


def successors(node_id: str, kinds=("success", "failure", "always")) -> list[str]:
    return [child for kind in kinds for child in NODES[node_id].get(kind, [])]


def reachable(start: str, kinds=("success",), avoid: str | None = None) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for child in successors(node, kinds):
            if child != avoid and child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def node_for(template: str, env: str) -> str:
    (node_id,) = [n["id"] for n in NODES.values() if n.get("job_template") == template and n.get("env") == env]
    return node_id


# --- schema -------------------------------------------------------------------------------------------


def test_config_matches_its_schema():
    result = ArgumentSpecValidator(SPECS["config"]["options"]).validate(CONFIG)
    assert not result.error_messages, result.error_messages


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("awx_job_templates", 0, "playbook"), None, "playbook"),
        (("awx_workflow", "nodes", 0, "env"), "qa", "env"),
        (("awx_schedules", 0, "rrule"), None, "rrule"),
        (("awx_job_templates", 0, "survey", "spec", 0, "type"), "checkbox", "type"),
    ],
)
def test_schema_rejects_broken_config(path, value, expected):
    broken = yaml.safe_load(yaml.safe_dump(CONFIG))
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    result = ArgumentSpecValidator(SPECS["config"]["options"]).validate(broken)
    assert any(expected in msg for msg in result.error_messages), result.error_messages


def test_workflow_node_is_either_a_job_or_an_approval():
    broken = yaml.safe_load(yaml.safe_dump(CONFIG))
    broken["awx_workflow"]["nodes"][0]["approval"] = {"name": "x"}
    result = ArgumentSpecValidator(SPECS["config"]["options"]).validate(broken)
    assert any("mutually exclusive" in msg for msg in result.error_messages), result.error_messages


def test_settings_defaults_file_matches_the_schema():
    defaults = load(AWX / "defaults.yml")
    spec = SPECS["settings"]["options"]
    assert defaults == {name: opt["default"] for name, opt in spec.items() if "default" in opt}
    assert spec["awx_project_scm_url"]["required"] and spec["awx_ee_image"]["required"]
    # secrets: marked no_log in the schema, never given a value in a file of the repository
    for secret in ("awx_aws_secret_access_key", "awx_aws_session_token"):
        assert spec[secret].get("no_log") is True
    secrets = {"awx_aws_access_key_id", "awx_aws_secret_access_key", "awx_aws_session_token"}
    for data_file in ("defaults.yml", "config.yml"):
        assert not secrets & set(load(AWX / data_file)) - {"awx_aws_session_token"}, data_file
    assert load(AWX / "defaults.yml")["awx_aws_session_token"] == ""
    assert not secrets & set(load(PLAYBOOK)[0].get("vars", {}))


# --- job templates --------------------------------------------------------------------------------------


def test_every_operation_has_a_job_template():
    referenced = {jt["playbook"] for jt in CONFIG["awx_job_templates"]}
    assert referenced >= REQUIRED_PLAYBOOKS, REQUIRED_PLAYBOOKS - referenced


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_job_template_playbook_exists(key):
    playbook = ROOT / TEMPLATES[key]["playbook"]
    assert playbook.is_file(), f"job template {key!r} runs {TEMPLATES[key]['playbook']}, which does not exist"
    plays = load(playbook)
    assert isinstance(plays, list) and plays, f"{playbook} is not a playbook (a list of plays)"


def test_required_surveys_are_present():
    assert {"webstack_confirm", "deploy_infrastructure", "deploy_website", "deploy_backend"} <= {
        q["variable"] for q in TEMPLATES["deploy"]["survey"]["spec"]
    }
    env_question = next(q for q in TEMPLATES["deploy"]["survey"]["spec"] if q["variable"] == "webstack_confirm")
    assert env_question["choices"] == ENVS
    restore = {q["variable"]: q for q in TEMPLATES["restore"]["survey"]["spec"]}
    assert set(restore) == {"restore_name", "restore_confirm"}
    assert restore["restore_confirm"]["default"] == "false", "a restore replaces the database: never by default"
    (confirm,) = TEMPLATES["teardown"]["survey"]["spec"]
    assert confirm["type"] == "text" and confirm["required"] and not confirm["default"], "teardown needs typed text"


# --- surveys --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("owner", "question"), SURVEY_QUESTIONS, ids=QUESTION_IDS)
def test_survey_question_is_valid_for_awx(owner, question):
    assert question["type"] in SURVEY_TYPES
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", question["variable"]), "AWX survey variables are identifiers"
    if question["type"] in ("multiplechoice", "multiselect"):
        assert question["choices"] and all(isinstance(c, str) for c in question["choices"])
        if "default" in question:
            assert question["default"] in question["choices"], f"{owner}: default not among the choices"
    if question["type"] == "text" and question.get("default"):
        assert question.get("min", 0) <= len(question["default"]) <= question.get("max", 1024)


@pytest.mark.parametrize("owner", sorted({owner for owner, _ in SURVEY_QUESTIONS}))
def test_survey_variables_are_unique(owner):
    variables = [q["variable"] for o, q in SURVEY_QUESTIONS if o == owner]
    assert len(variables) == len(set(variables))


@pytest.mark.parametrize(("owner", "question"), SURVEY_QUESTIONS, ids=QUESTION_IDS)
def test_survey_variable_is_used_by_the_playbooks(owner, question):
    variable = question["variable"]
    # a word on its own, not a file name such as playbooks/deploy_website.yml
    assert re.search(rf"\b{variable}\b(?!\.ya?ml)", variable_corpus()), (
        f"survey of {owner!r} sets {variable!r}, which no playbook, role (argument_specs, defaults, tasks, vars, "
        "templates) or inventory uses: the answer would be ignored"
    )


@pytest.mark.parametrize(
    ("owner", "question"),
    [(o, q) for o, q in SURVEY_QUESTIONS if sorted(q.get("choices") or []) == ["false", "true"]],
    ids=[f"{o}:{q['variable']}" for o, q in SURVEY_QUESTIONS if sorted(q.get("choices") or []) == ["false", "true"]],
)
def test_yes_no_answers_are_read_with_the_bool_filter(owner, question):
    """AWX sends survey answers as strings; ansible-core 2.19 refuses a string "false" as a condition."""
    variable = question["variable"]
    coerced = rf"\b{variable}\s*(\|\s*default\([^)]*\)\s*)?\|\s*(ansible\.builtin\.)?bool\b"
    assert re.search(coerced, variable_corpus()), (
        f"{variable} comes from an AWX survey as the string 'true'/'false': the playbooks must read it as "
        f"`{variable} | bool`"
    )


# --- workflow -------------------------------------------------------------------------------------------


def test_workflow_edges_name_existing_nodes():
    for node_id in NODES:
        assert set(successors(node_id)) <= set(NODES), node_id


def test_workflow_promotes_dev_then_staging_then_prod_through_validation():
    path = [node_for("deploy", "dev")]
    expected = ["validate", "deploy", "validate", "approval", "deploy", "validate"]
    for step in expected:
        (nxt,) = NODES[path[-1]]["success"]
        path.append(nxt)
        assert (NODES[nxt].get("job_template") or "approval") == step, path
    envs = [NODES[n].get("env") for n in path]
    assert envs == ["dev", "dev", "staging", "staging", None, "prod", "prod"]
    # the only roots of the graph: the dev deploy
    children = {c for n in NODES for c in successors(n)}
    assert set(NODES) - children == {path[0]}


def test_prod_is_only_reachable_through_the_approval_node():
    (approval,) = [n for n, node in NODES.items() if "approval" in node]
    prod_nodes = {n for n, node in NODES.items() if node.get("env") == "prod"}
    root = node_for("deploy", "dev")
    all_kinds = ("success", "failure", "always")
    assert not prod_nodes & reachable(root, all_kinds, avoid=approval), "a path to prod skips the approval"
    assert NODES[approval]["approval"]["timeout"] > 0, "an approval that never expires blocks the pipeline forever"
    assert not NODES[approval].get("failure") and not NODES[approval].get("always"), "deny must stop the pipeline"


@pytest.mark.parametrize("env", ENVS)
def test_failed_deploy_or_validation_rolls_the_same_environment_back(env):
    rollback = node_for("rollback", env)
    for template in ("deploy", "validate"):
        assert NODES[node_for(template, env)]["failure"] == [rollback]
    assert not successors(rollback), "a rollback ends its branch"


@pytest.mark.parametrize("env", ENVS)
def test_deploy_and_rollback_nodes_confirm_their_own_environment(env):
    for template in ("deploy", "rollback"):
        assert NODES[node_for(template, env)]["extra_data"] == {"webstack_confirm": env}


# --- schedules ------------------------------------------------------------------------------------------


def parse_rrule(rule: str):
    return rrulestr(rule.replace(" RRULE:", "\nRRULE:"))


@pytest.mark.parametrize("schedule", CONFIG["awx_schedules"], ids=[s["name"] for s in CONFIG["awx_schedules"]])
def test_schedule_rrule_is_valid_icalendar(schedule):
    rule = schedule["rrule"]
    assert rule.startswith("DTSTART;TZID=UTC:"), "AWX needs DTSTART with a time zone"
    assert "COUNT=" not in rule and "UNTIL=" not in rule, "a maintenance routine does not end"
    occurrences = list(itertools.islice(parse_rrule(rule), 3))
    assert len(occurrences) == 3 and occurrences[0] < occurrences[1] < occurrences[2]
    if "FREQ=WEEKLY" in rule:
        assert {d.strftime("%a") for d in occurrences} == {"Mon"}


def test_weekly_validation_per_environment_and_monthly_restore_drill():
    weekly = {
        s["env"] for s in CONFIG["awx_schedules"] if s["job_template"] == "validate" and "FREQ=WEEKLY" in s["rrule"]
    }
    assert weekly == set(ENVS)
    drills = [s for s in CONFIG["awx_schedules"] if s["job_template"] == "restore"]
    assert drills and all("FREQ=MONTHLY" in s["rrule"] for s in drills)
    assert all(s["env"] != "prod" for s in drills), "an unattended restore must never overwrite prod's database"
    survey = {q["variable"] for q in TEMPLATES["restore"]["survey"]["spec"] if q.get("required")}
    assert all(survey <= set(s.get("extra_data", {})) for s in drills), "the drill must answer the restore survey"


# --- the awx.awx tasks ----------------------------------------------------------------------------------


@cache
def module_options(module: str) -> dict:
    source = (AWX_COLLECTION / "plugins" / "modules" / f"{module}.py").read_text()
    doc = yaml.safe_load(re.search(r"DOCUMENTATION = r?'''(.*?)'''", source, re.S).group(1))
    return doc["options"]


def awx_tasks(tasks=None):
    for task in tasks if tasks is not None else load(PLAYBOOK)[0]["tasks"]:
        if "block" in task:
            yield from awx_tasks(task["block"])
        for key, args in task.items():
            if key.startswith("awx.awx."):
                yield task, key.removeprefix("awx.awx."), args


AWX_TASKS = list(awx_tasks())


def test_the_playbook_uses_awx_modules():
    used = {module for _, module, _ in AWX_TASKS}
    assert {"project", "inventory", "inventory_source", "credential", "job_template"} <= used
    assert {"workflow_job_template", "workflow_job_template_node", "schedule", "execution_environment"} <= used


@pytest.mark.parametrize(("task", "module", "args"), AWX_TASKS, ids=[t["name"] for t, _, _ in AWX_TASKS])
def test_awx_task_arguments_exist_in_the_module(task, module, args):
    options = module_options(module)
    aliases = {alias: name for name, opt in options.items() for alias in opt.get("aliases", [])}
    for arg, value in args.items():
        name = aliases.get(arg, arg)
        assert name in options, f"{task['name']}: awx.awx.{module} has no option {arg!r}"
        if "choices" in options[name] and isinstance(value, str) and "{{" not in value:
            assert value in options[name]["choices"], f"{task['name']}: {arg}={value!r}"
    required = {name for name, opt in options.items() if opt.get("required")}
    assert required <= set(args), f"{task['name']}: missing {required - set(args)}"


def test_secret_task_is_no_log():
    (credential_task,) = [t for t, module, args in AWX_TASKS if module == "credential" and args.get("inputs")]
    assert credential_task.get("no_log") is True
