"""The execution environment definition (execution-environment.yml, ansible-builder v3).

No image is built here (no registry for the base image, no Galaxy): the tests prove the definition
is valid for ansible-builder, that `ansible-builder create` produces a complete build context with
this collection packed from the checkout, and that ansible-builder's own introspection of the
packed collection asks for the run-time Python packages only (not the development toolchain).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
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
    reqs = [Requirement(line) for line in lines if line]
    return {r.name.lower(): r for r in reqs}


EE = load(EE_FILE)
GALAXY = load(ROOT / "galaxy.yml")
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"


def test_definition_is_valid_ansible_builder_v3():
    validate_schema(yaml.safe_load(EE_FILE.read_text()))  # raises DefinitionError when not
    assert EE["version"] == 3


def test_ansible_core_in_the_image_matches_the_tested_one():
    pinned = requirements(ROOT / "requirements.txt")
    core = Requirement(EE["dependencies"]["ansible_core"]["package_pip"])
    assert str(core.specifier) == str(pinned["ansible-core"].specifier)
    assert EE["dependencies"]["python_interpreter"]["python_path"].endswith("python3.11"), (
        "ansible-core 2.19 needs 3.11+"
    )


def test_galaxy_requirements_are_this_collection_and_requirements_yml():
    collections = EE["dependencies"]["galaxy"]["collections"]
    ours = collections[0]
    assert ours == {"name": f"collections/{TARBALL}", "type": "file"}, "keep the file name in step with galaxy.yml"
    others = {c["name"]: c.get("version") for c in collections[1:]}
    wanted = {c["name"]: c.get("version") for c in load(ROOT / "requirements.yml")["collections"]}
    assert others == wanted
    assert set(GALAXY["dependencies"]) <= set(others)
    (extra,) = EE["additional_build_files"]
    assert extra["dest"] == "collections" and Path(extra["src"]).name.startswith(f"{GALAXY['namespace']}-")


def test_python_requirements_are_runtime_only_and_pinned_like_requirements_txt():
    ee_reqs = requirements(ROOT / EE["dependencies"]["python"])
    pinned = requirements(ROOT / "requirements.txt")
    assert {"boto3", "botocore", "pymongo"} <= set(ee_reqs)
    assert not TOOLCHAIN & set(ee_reqs)
    for name, req in ee_reqs.items():
        assert str(req.specifier) == str(pinned[name].specifier), name


def test_collection_metadata_points_builder_at_the_runtime_files():
    meta = load(ROOT / "meta" / "execution-environment.yml")
    assert meta["dependencies"] == {"python": EE["dependencies"]["python"], "system": EE["dependencies"]["system"]}


@pytest.mark.parametrize(("platform", "expected"), [("rpm", "openssh-clients"), ("dpkg", "openssh-client")])
def test_bindep_file_parses_and_selects_per_platform(platform, expected):
    deps = Depends((ROOT / EE["dependencies"]["system"]).read_text())
    wanted = {rule[0] for rule in deps.active_rules([f"platform:{platform}"])}
    assert expected in wanted and {"tar", "nodejs", "npm"} <= wanted, wanted


@pytest.fixture(scope="module")
def build_context(tmp_path_factory):
    """`ansible-galaxy collection build` of the checkout, then `ansible-builder create` in a scratch copy."""
    work = tmp_path_factory.mktemp("ee")
    for rel in ("execution-environment.yml", EE["dependencies"]["python"], EE["dependencies"]["system"]):
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, work / rel)
    out = work / Path(EE["additional_build_files"][0]["src"]).parent
    subprocess.run(
        [VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    proc = subprocess.run(
        [VENV_BIN / "ansible-builder", "create", "-f", work / "execution-environment.yml", "-c", work / "context"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work


def test_create_writes_a_containerfile_for_the_pinned_base_and_core(build_context):
    containerfile = (build_context / "context" / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{EE["images"]["base_image"]["name"]}"' in containerfile
    assert EE["dependencies"]["ansible_core"]["package_pip"] in containerfile
    assert re.search(r"ansible-galaxy collection install .*-r requirements.yml", containerfile)
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile


def test_create_copies_the_collection_and_the_requirements(build_context):
    build = build_context / "context" / constants.user_content_subfolder
    assert load(build / "requirements.yml") == EE["dependencies"]["galaxy"]
    assert (build / "requirements.txt").read_text() == (ROOT / EE["dependencies"]["python"]).read_text()
    assert (build / "bindep.txt").read_text() == (ROOT / EE["dependencies"]["system"]).read_text()
    with tarfile.open(build / "collections" / TARBALL) as tar:
        names = set(tar.getnames())
        manifest = yaml.safe_load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == GALAXY["version"]
    assert {"playbooks/site.yml", "meta/runtime.yml", "meta/execution-environment.yml"} <= names
    assert not [n for n in names if n.startswith((".venv/", ".cache/"))]


def test_builder_introspection_of_the_packed_collection_asks_for_runtime_packages_only(build_context, tmp_path):
    """What the image's builder stage would run (introspect.py) on the installed collection."""
    tarball = build_context / "context" / constants.user_content_subfolder / "collections" / TARBALL
    subprocess.run(
        [
            VENV_BIN / "ansible-galaxy",
            "collection",
            "install",
            "--offline",
            "--no-deps",
            "--force",
            "-p",
            tmp_path,
            tarball,
        ],
        check=True,
        capture_output=True,
    )
    found = introspect.process(data_dir=str(tmp_path))
    python = {Requirement(line).name for line in found["python"]["illustra.webstack"]}
    assert python == {"boto3", "botocore", "dnspython", "pymongo"}
    assert {line.split()[0] for line in found["system"]["illustra.webstack"]} >= {"tar", "nodejs"}
