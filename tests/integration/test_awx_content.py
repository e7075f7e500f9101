"""playbooks/awx_configure.yml, run for real against a stand-in for the AWX REST API.

No AWX server can run here, so `FakeAWX` below implements the slice of AWX's /api/v2 that the
awx.awx modules use: list/create/update/delete by endpoint with AWX's lookup filters, association
sub-endpoints, survey specs, project updates, approval templates, and the checks AWX makes on
writes (references must exist; launch-time fields such as a node's inventory or extra_data are only
accepted when the job template prompts for them or has a survey question; credential inputs must be
fields of the credential type). It stores what it is given, so what these tests prove is the wiring:
the real awx.awx 24.6.1 modules accept every argument, every name resolves in the right order,
the workflow graph lands as designed, a second run changes nothing, check mode writes nothing, and
awx_state=absent removes everything. AWX's own normalisation of stored values is not reproduced.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from webstack_test import run_playbook

ROOT = Path(__file__).resolve().parents[2]
_RAW = (ROOT / "awx" / "config.yml").read_text()
PREFIX = yaml.safe_load(_RAW)["awx_prefix"]
CONFIG = yaml.safe_load(_RAW.replace("{{ awx_prefix }}", PREFIX))  # names as the playbook renders them
SECRET = "fake-secret-0123456789abcdef"  # a test value that must never appear in any output
SETTINGS = {
    "awx_project_scm_url": "https://git.example.com/illustra/webstack.git",
    "awx_ee_image": "registry.example.com/illustra/webstack-ee:0.1.0",
    "awx_aws_access_key_id": "AKIAFAKEFAKEFAKE",
    "awx_aws_secret_access_key": SECRET,
}
PLAYBOOK = "playbooks/awx_configure.yml"
# A full converge is ~45 awx.awx module runs (about 1 s each on an idle machine); the lifecycle test
# runs five of them, too slow for the default suite's budget, so it is opted into explicitly.
FULL_LIFECYCLE = os.environ.get("WEBSTACK_AWX_FAKE") == "1"

TYPES = {
    "organizations": "organization",
    "execution_environments": "execution_environment",
    "credential_types": "credential_type",
    "credentials": "credential",
    "projects": "project",
    "inventories": "inventory",
    "inventory_sources": "inventory_source",
    "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template",
    "workflow_job_template_nodes": "workflow_job_template_node",
    "workflow_approval_templates": "workflow_approval_template",
    "schedules": "schedule",
    "project_updates": "project_update",
}
UNIFIED = ("job_templates", "workflow_job_templates", "projects", "inventory_sources", "workflow_approval_templates")
REFERENCES = {
    "organization": "organizations",
    "default_environment": "execution_environments",
    "execution_environment": "execution_environments",
    "credential_type": "credential_types",
    "credential": "credentials",
    "project": "projects",
    "source_project": "projects",
    "inventory": "inventories",
    "workflow_job_template": "workflow_job_templates",
    "unified_job_template": "unified_job_templates",
}
REQUIRED = {
    "job_templates": ("name", "project", "playbook"),
    "inventory_sources": ("name", "inventory", "source"),
    "schedules": ("name", "rrule", "unified_job_template"),
    "credentials": ("name", "credential_type"),
    "inventories": ("name", "organization"),
    "workflow_job_template_nodes": ("workflow_job_template", "identifier"),
}
CASCADE = {  # deleting a parent deletes these children (field pointing at the parent)
    "workflow_job_templates": [("workflow_job_template_nodes", "workflow_job_template")],
    "inventories": [("inventory_sources", "inventory")],
    "organizations": [("inventories", "organization")],
    "job_templates": [("schedules", "unified_job_template")],
}
AWS_TYPE = {
    "name": "Amazon Web Services",
    "kind": "cloud",
    "managed": True,
    "fields": ["username", "password", "security_token"],
}


class FakeAWX:
    """In-memory AWX API: objects by endpoint, associations, survey specs, and a log of writes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next_id = 100
        self.objects: dict[str, dict[int, dict]] = {ep: {} for ep in TYPES}
        self.assoc: dict[tuple[str, int, str], list[int]] = {}
        self.surveys: dict[tuple[str, int], dict] = {}
        self.writes: list[str] = []
        self.requests: list[str] = []
        self.objects["credential_types"][1] = {"id": 1, "url": "/api/v2/credential_types/1/", "type": "credential_type"}
        self.objects["credential_types"][1].update(AWS_TYPE)

    # --- reads ---------------------------------------------------------------------------------
    def all(self, endpoint: str) -> list[dict]:
        if endpoint == "unified_job_templates":
            return [obj for ep in UNIFIED for obj in self.objects[ep].values()]
        return list(self.objects[endpoint].values())

    def find(self, endpoint: str, obj_id) -> dict | None:
        for obj in self.all(endpoint):
            if obj["id"] == obj_id:
                return obj
        return None

    def named(self, endpoint: str) -> dict[str, dict]:
        return {obj.get("name") or obj.get("identifier"): obj for obj in self.all(endpoint)}

    @staticmethod
    def matches(obj: dict, query: dict[str, str]) -> bool:
        ors = {k[4:]: v for k, v in query.items() if k.startswith("or__")}
        if ors and not any(str(obj.get(k)) == v for k, v in ors.items()):
            return False
        return all(str(obj.get(k)) == v for k, v in query.items() if not k.startswith("or__") and k != "page_size")

    # --- AWX's checks on writes ----------------------------------------------------------------
    def invalid(self, endpoint: str, data: dict, existing: dict | None = None) -> dict | None:
        merged = {**(existing or {}), **data}
        for field in REQUIRED.get(endpoint, ()):
            if merged.get(field) in (None, ""):
                return {field: ["This field is required."]}
        for field, target in REFERENCES.items():
            if data.get(field) not in (None, "") and self.find(target, data[field]) is None:
                return {field: [f"Invalid pk {data[field]!r} - object does not exist."]}
        if endpoint == "credentials":
            fields = self.find("credential_types", merged["credential_type"])["fields"]
            unknown = set(merged.get("inputs", {})) - set(fields)
            if unknown:
                return {"inputs": [f"unknown fields {sorted(unknown)}"]}
        if endpoint in ("workflow_job_template_nodes", "schedules") and merged.get("unified_job_template"):
            return self.invalid_prompts(merged)
        return None

    def invalid_prompts(self, data: dict) -> dict | None:
        template = self.find("unified_job_templates", data["unified_job_template"])
        if template["type"] != "job_template":
            return None
        if data.get("inventory") and not template.get("ask_inventory_on_launch"):
            return {"inventory": ["Field is not configured to prompt on launch."]}
        spec = self.surveys.get(("job_templates", template["id"]), {}).get("spec", [])
        asked = {q["variable"] for q in spec}
        extra = set(data.get("extra_data") or {})
        if extra - asked and not template.get("ask_variables_on_launch"):
            return {"extra_data": [f"Variables {sorted(extra - asked)} provided but not prompted on launch."]}
        return None

    # --- writes --------------------------------------------------------------------------------
    def create(self, endpoint: str, data: dict) -> dict:
        self.next_id += 1
        obj_id = self.next_id
        url = f"/api/v2/{endpoint}/{obj_id}/"
        obj = {**data, "id": obj_id, "url": url, "type": TYPES[endpoint], "related": {}, "summary_fields": {}}
        if endpoint in ("job_templates", "workflow_job_templates"):
            obj["related"]["survey_spec"] = f"{url}survey_spec/"
        if endpoint == "projects":
            update = self.create("project_updates", {"status": "successful", "finished": True, "failed": False})
            obj.update(scm_revision="0" * 40, summary_fields={"current_update": {"id": update["id"]}})
            obj["related"]["update"] = f"{url}update/"
        if endpoint == "workflow_job_template_nodes" and obj.get("unified_job_template"):
            obj["related"]["unified_job_template"] = self.find("unified_job_templates", obj["unified_job_template"])[
                "url"
            ]
        self.objects[endpoint][obj_id] = obj
        return obj

    def delete(self, endpoint: str, obj_id: int) -> None:
        obj = self.objects[endpoint].pop(obj_id)
        for child_endpoint, field in CASCADE.get(endpoint, []):
            for child in list(self.objects[child_endpoint].values()):
                if child.get(field) == obj["id"]:
                    self.delete(child_endpoint, child["id"])
        if endpoint == "workflow_job_template_nodes" and obj.get("unified_job_template"):
            self.objects["workflow_approval_templates"].pop(obj["unified_job_template"], None)

    def handle(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        parts = [p for p in path.split("/") if p][2:]  # drop "api", "v2"
        endpoint = parts[0]
        if endpoint not in TYPES and endpoint != "unified_job_templates":
            return 404, {"detail": f"fake AWX has no /{endpoint}/"}
        self.requests.append(f"{method} {path} {query}")
        if method != "GET":
            self.writes.append(f"{method} {path}")
        if len(parts) == 1:
            if method == "GET":
                results = [o for o in self.all(endpoint) if self.matches(o, query)]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                error = self.invalid(endpoint, body)
                return (400, error) if error else (201, self.create(endpoint, body))
        obj = self.find(endpoint, int(parts[1]))
        if obj is None:
            return 404, {"detail": "Not found."}
        if len(parts) == 2:
            if method == "GET":
                return 200, obj
            if method == "PATCH":
                error = self.invalid(endpoint, body, obj)
                return (400, error) if error else (200, obj.update(body) or obj)
            if method == "DELETE":
                self.delete(endpoint, obj["id"])
                return 204, {}
        sub = parts[2]
        if sub == "survey_spec":
            if method == "GET":
                return 200, self.surveys.get((endpoint, obj["id"]), {})
            self.surveys[(endpoint, obj["id"])] = body if method == "POST" else {}
            return 200, {}
        if sub == "create_approval_template" and method == "POST":
            approval = self.create("workflow_approval_templates", body)
            obj["unified_job_template"] = approval["id"]
            obj["related"]["unified_job_template"] = approval["url"]
            return 201, approval
        target = "workflow_job_template_nodes" if sub.endswith("_nodes") else sub
        key = (endpoint, obj["id"], sub)
        if method == "GET":
            results = [self.find(target, i) for i in self.assoc.get(key, [])]
            return 200, {"count": len(results), "next": None, "previous": None, "results": results}
        if self.find(target, body["id"]) is None:
            return 400, {"id": ["Object does not exist."]}
        ids = self.assoc.setdefault(key, [])
        if body.get("disassociate"):
            ids.remove(body["id"])
        elif body["id"] not in ids:
            ids.append(body["id"])
        return 204, {}


def serve(fake: FakeAWX) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self):
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            with fake.lock:
                status, payload = fake.handle(self.command, url.path, query, body)
            data = json.dumps(payload).encode() if status != 204 else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-API-Product-Name", "AWX")
            self.send_header("X-API-Product-Version", "24.6.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _respond  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def awx():
    fake = FakeAWX()
    server = serve(fake)
    fake.env = {
        "CONTROLLER_HOST": f"http://127.0.0.1:{server.server_address[1]}",
        "CONTROLLER_OAUTH_TOKEN": "fake-token",
        "CONTROLLER_VERIFY_SSL": "false",
    }
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def configure(fake: FakeAWX, check: bool = False, **extra):
    return run_playbook(PLAYBOOK, extra_vars={**SETTINGS, **extra}, check=check, env=fake.env, timeout=1800)


def user_objects(fake: FakeAWX) -> dict[str, int]:
    return {
        ep: len(objs) for ep, objs in fake.objects.items() if objs and ep not in ("credential_types", "project_updates")
    }


# --- without a server -------------------------------------------------------------------------------


def test_playbook_syntax_check():
    proc = subprocess.run(
        [ROOT / ".venv" / "bin" / "ansible-playbook", "--syntax-check", PLAYBOOK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"awx_project_scm_url": None}, "awx_project_scm_url"),
        ({"awx_aws_secret_access_key": ""}, "awx_aws_secret_access_key"),
        ({"awx_state": "gone"}, "awx_state"),
    ],
    ids=["missing-scm-url", "missing-secret", "bad-state"],
)
def test_bad_settings_fail_before_any_api_call(awx, extra, expected):
    settings = {k: v for k, v in {**SETTINGS, **extra}.items() if v is not None}
    run = run_playbook(PLAYBOOK, extra_vars=settings, env=awx.env, timeout=120)
    assert run.rc != 0
    assert any(expected in msg for msg in run.failure_messages()) or expected in run.stdout, run.summary()
    assert SECRET not in run.stdout + run.stderr
    assert awx.writes == []


def test_inconsistent_config_is_refused_with_the_unknown_names(awx):
    workflow = json.loads(json.dumps(CONFIG["awx_workflow"]))
    workflow["nodes"][0]["success"] = ["validate-qa"]
    run = configure(awx, awx_workflow=workflow)
    assert run.rc != 0 and awx.writes == []
    assert "validate-qa" in " ".join(run.failure_messages()), run.summary()


# --- against the fake AWX ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not FULL_LIFECYCLE, reason="five playbook runs (~180 awx.awx module runs): WEBSTACK_AWX_FAKE=1")
def test_configure_converges_idempotently_and_is_removed(awx):
    first = configure(awx)
    assert first.rc == 0, first.summary()
    assert SECRET not in first.stdout + first.stderr
    counts = user_objects(awx)
    assert counts == {
        "organizations": 1,
        "execution_environments": 1,
        "credentials": 1,
        "projects": 1,
        "inventories": 3,
        "inventory_sources": 3,
        "job_templates": len(CONFIG["awx_job_templates"]),
        "workflow_job_templates": 1,
        "workflow_job_template_nodes": len(CONFIG["awx_workflow"]["nodes"]),
        "workflow_approval_templates": 1,
        "schedules": len(CONFIG["awx_schedules"]),
    }
    assert_objects(awx)

    writes = len(awx.writes)
    second = configure(awx)
    assert second.rc == 0 and second.changed == 0, second.changed_tasks()
    assert len(awx.writes) == writes, awx.writes[writes:]

    # drift (an edit by hand in AWX) is reported by check mode, which writes nothing
    deploy = awx.named("job_templates")[f"{PREFIX} deploy"]
    deploy["description"] = "edited by hand"
    checked = configure(awx, check=True)
    assert checked.rc == 0 and checked.changed_tasks() == ["Create the job templates"], checked.summary()
    assert len(awx.writes) == writes and deploy["description"] == "edited by hand"

    removed = configure(awx, awx_state="absent")
    assert removed.rc == 0, removed.summary()
    assert user_objects(awx) == {}
    again = configure(awx, awx_state="absent")
    assert again.rc == 0 and again.changed == 0, again.summary()


def assert_objects(awx: FakeAWX) -> None:
    org = awx.named("organizations")[CONFIG["awx_organization"]["name"]]
    ee = awx.named("execution_environments")[f"{PREFIX} EE"]
    assert ee["image"] == SETTINGS["awx_ee_image"]
    cred = awx.named("credentials")[f"{PREFIX} AWS"]
    assert cred["credential_type"] == 1 and cred["organization"] == org["id"]
    assert cred["inputs"] == {"username": SETTINGS["awx_aws_access_key_id"], "password": SECRET}
    project = awx.named("projects")[PREFIX]
    assert project["scm_url"] == SETTINGS["awx_project_scm_url"] and project["default_environment"] == ee["id"]

    inventories = awx.named("inventories")
    for env in ("dev", "staging", "prod"):
        source = awx.named("inventory_sources")[f"{PREFIX} {env} (repository)"]
        assert source["source"] == "scm" and source["source_path"] == f"inventories/{env}"
        assert source["inventory"] == inventories[f"{PREFIX} {env}"]["id"] and source["source_project"] == project["id"]
        assert source["credential"] == cred["id"]

    templates = awx.named("job_templates")
    for jt in CONFIG["awx_job_templates"]:
        obj = templates[jt["name"]]
        assert obj["playbook"] == jt["playbook"] and obj["project"] == project["id"]
        assert obj["ask_inventory_on_launch"] is True and obj["inventory"] == inventories[f"{PREFIX} dev"]["id"]
        assert awx.assoc[("job_templates", obj["id"], "credentials")] == [cred["id"]]
        assert awx.surveys.get(("job_templates", obj["id"]), {}) == jt.get("survey", {})
        assert obj["survey_enabled"] is ("survey" in jt)

    workflow = awx.named("workflow_job_templates")[f"{PREFIX} release pipeline"]
    assert awx.surveys[("workflow_job_templates", workflow["id"])] == CONFIG["awx_workflow"]["survey"]
    nodes = {n["identifier"]: n for n in awx.all("workflow_job_template_nodes")}
    ids = {n["id"]: name for name, n in nodes.items()}
    by_jt_id = {templates[jt["name"]]["id"]: jt["key"] for jt in CONFIG["awx_job_templates"]}
    for node in CONFIG["awx_workflow"]["nodes"]:
        obj = nodes[node["id"]]
        assert obj["workflow_job_template"] == workflow["id"]
        for kind in ("success", "failure", "always"):
            linked = [ids[i] for i in awx.assoc.get(("workflow_job_template_nodes", obj["id"], f"{kind}_nodes"), [])]
            assert sorted(linked) == sorted(node.get(kind, [])), (node["id"], kind)
        if "approval" in node:
            approval = awx.find("workflow_approval_templates", obj["unified_job_template"])
            assert approval["timeout"] == node["approval"]["timeout"]
        else:
            assert by_jt_id[obj["unified_job_template"]] == node["job_template"]
            assert obj["inventory"] == inventories[f"{PREFIX} {node['env']}"]["id"]
            assert obj.get("extra_data", {}) == node.get("extra_data", {})

    schedules = awx.named("schedules")
    for schedule in CONFIG["awx_schedules"]:
        obj = schedules[schedule["name"]]
        assert by_jt_id[obj["unified_job_template"]] == schedule["job_template"]
        assert obj["inventory"] == inventories[f"{PREFIX} {schedule['env']}"]["id"]
        assert obj["rrule"] == schedule["rrule"] and obj["enabled"] is True
