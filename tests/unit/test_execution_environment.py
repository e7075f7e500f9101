"""The execution environment (execution-environment.yml, ansible-builder v3) and how AWX gets the collection.

No image is built here (no registry for the base image, no Galaxy). The tests prove that the definition is valid
for ansible-builder, that `ansible-builder create` writes a complete build context from the repository's own
requirement files, that the image does not carry illustra.webstack (a copy there could differ from the playbooks
the AWX project checks out), and that AWX's project sync, which installs collections/requirements.yml from the
checkout, installs this very checkout: its files, byte for byte, with the run-time Python packages only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_builder import constants
from ansible_builder._target_scripts import introspect
from ansible_builder.ee_schema import validate_schema
from bindep.depends import Depends
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
EE_FILE = ROOT / "execution-environment.yml"
TOOLCHAIN = {"moto", "molecule", "molecule-plugins", "ansible-lint", "yamllint", "ruff", "pytest", "ansible"}


def load(path: Path):
    return yaml.safe_load(path.read_text())


def requirements(path: Path) -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    reqs = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return {r.name.lower(): r for r in reqs}


EE = load(EE_FILE)
GALAXY = load(ROOT / "galaxy.yml")
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"


def test_definition_is_valid_ansible_builder_v3():
    validate_schema(load(EE_FILE))  # raises DefinitionError when not
    assert EE["version"] == 3


def test_ansible_core_in_the_image_matches_the_tested_one():
    pinned = requirements(ROOT / "test-requirements.txt")
    core = Requirement(EE["dependencies"]["ansible_core"]["package_pip"])
    assert str(core.specifier) == str(pinned["ansible-core"].specifier)
    assert EE["dependencies"]["python_interpreter"]["python_path"].endswith("python3.11"), (
        "ansible-core 2.19 needs 3.11+"
    )


def test_image_installs_the_repository_requirement_files():
    """One list each: the image reads requirements.yml / requirements.txt / bindep.txt, never a copy of them."""
    assert EE["dependencies"]["galaxy"] == "requirements.yml"
    assert EE["dependencies"]["python"] == "requirements.txt"
    assert EE["dependencies"]["system"] == "bindep.txt"
    assert "additional_build_files" not in EE


def test_image_does_not_carry_this_collection():
    names = {c["name"] for c in load(ROOT / "requirements.yml")["collections"]}
    assert FQCN not in names
    assert not [n for n in names if n.endswith(".tar.gz") or n.startswith((".", "/"))]


def test_project_sync_requirements_name_the_checkout_itself():
    """AWX installs collections/requirements.yml with the project checkout as its working directory."""
    assert load(ROOT / "collections" / "requirements.yml")["collections"] == [{"name": ".", "type": "dir"}]


def test_python_requirements_are_runtime_ranges_that_the_tested_pins_satisfy():
    runtime = requirements(ROOT / "requirements.txt")
    pinned = requirements(ROOT / "test-requirements.txt")
    # dnspython: acm_certificate_request's delegation check runs on the controller (or in the EE).
    assert {"boto3", "botocore", "dnspython"} <= set(runtime)
    assert not TOOLCHAIN & set(runtime)
    for name, req in runtime.items():
        assert any(spec.operator == ">=" for spec in req.specifier), f"{name}: give the lowest supported version"
        (pin,) = pinned[name].specifier
        assert pin.operator == "==" and req.specifier.contains(pin.version), (name, str(pin), str(req))


@pytest.mark.parametrize(("platform", "expected"), [("rpm", "openssh-clients"), ("dpkg", "openssh-client")])
def test_bindep_file_parses_and_selects_per_platform(platform, expected):
    deps = Depends((ROOT / EE["dependencies"]["system"]).read_text())
    wanted = {rule[0] for rule in deps.active_rules([f"platform:{platform}"])}
    assert expected in wanted and {"tar", "nodejs", "npm"} <= wanted, wanted


@pytest.fixture(scope="module")
def build_context(tmp_path_factory):
    """`ansible-builder create` of the definition, as CI runs it."""
    context = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run(
        [VENV_BIN / "ansible-builder", "create", "-f", EE_FILE, "-c", context],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return context


def test_create_writes_a_containerfile_for_the_pinned_base_and_core(build_context):
    containerfile = (build_context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{EE["images"]["base_image"]["name"]}"' in containerfile
    assert EE["dependencies"]["ansible_core"]["package_pip"] in containerfile
    assert re.search(r"ansible-galaxy collection install .*-r requirements.yml", containerfile)
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile


def test_create_copies_the_requirement_files(build_context):
    build = build_context / constants.user_content_subfolder
    for name in ("requirements.yml", "requirements.txt", "bindep.txt"):
        assert (build / name).read_text() == (ROOT / name).read_text(), name
    assert not list(build.rglob("*.tar.gz")), "the image must not carry a packed copy of the collection"


@pytest.fixture(scope="module")
def project_sync(tmp_path_factory):
    """What AWX's project update runs (awx/playbooks/project_update.yml): from the checkout,
    `ansible-galaxy collection install -r collections/requirements.yml --collections-path <dir>`, with
    ANSIBLE_COLLECTIONS_PATH set to that directory. Offline here: the dependencies are found installed (the
    `ansible` package's collections), where AWX would fetch them from its Galaxy."""
    dest = tmp_path_factory.mktemp("requirements_collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_LOCAL_TEMP=str(dest / "tmp"))
    proc = subprocess.run(
        [
            VENV_BIN / "ansible-galaxy",
            "collection",
            "install",
            "-r",
            "collections/requirements.yml",
            "--collections-path",
            dest,
            "--offline",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = dest / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    assert installed.is_dir(), proc.stdout
    return dest, installed


def test_project_sync_installs_this_checkout_byte_for_byte(project_sync):
    _, installed = project_sync
    manifest = json.loads((installed / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == GALAXY["version"]
    files = json.loads((installed / "FILES.json").read_text())["files"]
    checked = [f for f in files if f["ftype"] == "file"]
    assert {"playbooks/site.yml", "meta/runtime.yml", "roles/vpc/tasks/main.yml"} <= {f["name"] for f in checked}
    for entry in checked:
        digest = hashlib.sha256((ROOT / entry["name"]).read_bytes()).hexdigest()
        assert digest == entry["chksum_sha256"], entry["name"]


def test_builder_introspection_of_the_installed_collection_asks_for_runtime_packages_only(project_sync):
    """An EE that someone builds with illustra.webstack in it (from Galaxy) installs these: what introspect.py,
    run in the image's builder stage, finds in the installed collection (its requirements.txt and bindep.txt)."""
    dest, _ = project_sync
    found = introspect.process(data_dir=str(dest))
    python = {Requirement(line).name for line in found["python"][FQCN]}
    assert python == set(requirements(ROOT / "requirements.txt"))
    assert {line.split()[0] for line in found["system"][FQCN]} >= {"tar", "nodejs"}
