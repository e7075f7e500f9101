"""The AMI stand-in: a systemd Debian 12 image baked with this collection's roles (bake.yml).

Built on the Molecule base image (tools/podman/build-image.sh: debootstrap, systemd, the host's CA
certificates): a build container on podman's default network (the bake, like an image pipeline,
may reach the package registries; the hosts booted from the image may not) gets this collection's
dependencies and then bake.yml: the boot toolchain, nginx, the database server (secantusdb, the
test seam) and the drivers. `podman commit` makes it the image every instance boots from.

The image is kept locally and rebuilt when its inputs change (a hash of bake.yml, the roles'
install tasks, the asg defaults and galaxy.yml, stored as a label), when the base image is newer,
and once per CI run (CI=true), as tools/molecule.sh does with the base image.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from . import podman
from .state import ROOT

BASE_IMAGE = "localhost/debian-bookworm:latest"
IMAGE = "localhost/webstack-ami:latest"
HERE = Path(__file__).resolve().parent
# What the image is made of: these files whole, and these values of the roles' defaults and vars.
INPUTS = [
    HERE / "bake.yml",
    HERE / "image.py",
    ROOT / "galaxy.yml",
    ROOT / "roles" / "nginx_backend" / "tasks" / "install.yml",
    ROOT / "roles" / "nginx_backend" / "vars" / "Debian.yml",
    ROOT / "roles" / "mongodb" / "tasks" / "host_install.yml",
    ROOT / "roles" / "mongodb" / "tasks" / "install_secantusdb.yml",
    ROOT / "roles" / "mongodb" / "tasks" / "packages.yml",
    ROOT / "roles" / "backup" / "tasks" / "host_install.yml",
]
VALUES = {
    ROOT / "roles" / "asg" / "defaults" / "main.yml": ["asg_ansible_core_requirement"],
    ROOT / "roles" / "mongodb" / "defaults" / "main.yml": ["mongodb_secantusdb_version", "mongodb_pymongo_version"],
    ROOT / "roles" / "backup" / "vars" / "main.yml": ["backup__packages"],
}
LABEL = "webstack.bake.inputs"
CI_STAMP = ROOT / ".cache" / "dataplane" / "image-built-in-ci"


def inputs_hash() -> str:
    import yaml  # noqa: PLC0415

    digest = hashlib.sha256()
    for path in INPUTS:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for path, keys in VALUES.items():
        values = yaml.safe_load(path.read_text())
        digest.update(json.dumps({k: values.get(k) for k in keys}, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def _inspect(image: str) -> dict | None:
    found = podman.run("image", "inspect", image, check=False)
    return json.loads(found.stdout)[0] if found.returncode == 0 else None


def _created(info: dict) -> str:
    return info.get("Created", "")


def fresh() -> bool:
    """Whether the baked image exists, matches its inputs and is newer than its base."""
    baked, base = _inspect(IMAGE), _inspect(BASE_IMAGE)
    if baked is None or base is None:
        return False
    labels = (baked.get("Config") or {}).get("Labels") or baked.get("Labels") or {}
    if labels.get(LABEL) != inputs_hash():
        return False
    if os.environ.get("CI") == "true" and not CI_STAMP.exists():
        return False
    return _created(baked) >= _created(base)


def ensure(log: Path | None = None) -> str:
    """The baked image, built when it is missing or stale; returns its name."""
    if fresh():
        return IMAGE
    if _inspect(BASE_IMAGE) is None or (os.environ.get("CI") == "true" and not CI_STAMP.exists()):
        _build_base(log)
    bake(log)
    if os.environ.get("CI") == "true":
        CI_STAMP.parent.mkdir(parents=True, exist_ok=True)
        CI_STAMP.touch()
    return IMAGE


def _build_base(log: Path | None) -> None:
    with _Log(log) as out:
        subprocess.run(
            ["bash", str(ROOT / "tools" / "podman" / "build-image.sh")],
            env=dict(os.environ, CONTAINERS_CONF=str(podman.CONTAINERS_CONF)),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=1800,
        )


class _Log:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def __enter__(self):
        if self.path is None:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a")
        return self.handle

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            self.handle.close()


def bake(log: Path | None = None) -> None:
    """Build IMAGE from BASE_IMAGE with bake.yml (a few minutes)."""
    name = f"webstack-bake-{os.getpid()}"
    started = time.monotonic()
    podman.run("rm", "--force", name, check=False)
    podman.run(
        "run", "--detach", "--name", name, "--cap-add", "SYS_ADMIN", "--label", f"{podman.LABEL}=bake",
        BASE_IMAGE, "/sbin/init",
    )  # fmt: skip
    try:
        install_dependencies(name)
        cmd = [
            str(ROOT / ".venv" / "bin" / "ansible-playbook"),
            str(HERE / "bake.yml"),
            "-i",
            f"{name},",
            "-c",
            "containers.podman.podman",
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
        ]
        env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), CONTAINERS_CONF=str(podman.CONTAINERS_CONF))
        with _Log(log) as out:
            done = subprocess.run(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=3600, check=False
            )
        if done.returncode != 0:
            raise RuntimeError(f"dataplane: baking {IMAGE} failed (rc {done.returncode}); see {log or 'the output'}")
        podman.run("stop", "--time", "20", name, timeout=120)
        podman.run(
            "commit", "--change", 'CMD ["/sbin/init"]', "--change", "STOPSIGNAL SIGRTMIN+3",
            "--change", f"LABEL {LABEL}={inputs_hash()}", name, IMAGE, timeout=900,
        )  # fmt: skip
    finally:
        podman.run("rm", "--force", name, check=False, timeout=120)
    print(f"dataplane: baked {IMAGE} in {time.monotonic() - started:.0f}s", flush=True)


def install_dependencies(container: str) -> None:
    """Copy galaxy.yml's dependencies and theirs into the container's /opt/webstack/collections, where the user
    data's `ansible-galaxy collection install --offline` finds them (on AWS they come from Galaxy)."""
    import yaml  # noqa: PLC0415

    collections = _site_collections()
    dependencies = yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]
    for fqcn in dependency_closure(collections, dependencies):
        namespace, collection = fqcn.split(".")
        target = f"/opt/webstack/collections/ansible_collections/{namespace}"
        podman.exec_(container, "mkdir", "-p", target)
        podman.run("cp", str(collections / namespace / collection), f"{container}:{target}/{collection}", timeout=600)


def _site_collections() -> Path:
    """The controller's ansible_collections directory (the ansible PyPI package's)."""
    import ansible  # noqa: PLC0415

    return Path(ansible.__file__).resolve().parents[1] / "ansible_collections"


def dependency_closure(collections: Path, direct) -> list[str]:
    """galaxy.yml's dependencies and theirs, as `ansible-galaxy collection install` resolves them: what the hosts
    need to install this collection offline (community.mongodb needs ansible.posix, which we do not)."""
    found: list[str] = []
    pending = list(direct)
    while pending:
        fqcn = pending.pop(0)
        if fqcn in found:
            continue
        found.append(fqcn)
        manifest = collections.joinpath(*fqcn.split("."), "MANIFEST.json")
        if manifest.exists():
            pending += list(json.loads(manifest.read_text())["collection_info"].get("dependencies") or {})
    return found
