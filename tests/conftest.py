"""Shared pytest fixtures: the local AWS emulator and a playbook runner (see tests/lib/webstack_test.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests" / "lib")]

# The collection imports as ansible_collections.illustra.webstack from this checkout (the link
# `make setup` makes); amazon.aws and the rest live in site-packages' ansible_collections, so the
# namespace package spans both trees.
COLLECTIONS = ROOT / ".cache" / "collections"
if not (COLLECTIONS / "ansible_collections" / "illustra" / "webstack").exists():
    (COLLECTIONS / "ansible_collections" / "illustra").mkdir(parents=True, exist_ok=True)
    (COLLECTIONS / "ansible_collections" / "illustra" / "webstack").symlink_to(Path("../../../.."))
sys.path.insert(0, str(COLLECTIONS))
import ansible_collections  # noqa: E402

ansible_collections.__path__ = [
    str(COLLECTIONS / "ansible_collections"),
    *[p for p in ansible_collections.__path__ if Path(p) != COLLECTIONS / "ansible_collections"],
]

import emulator  # noqa: E402


@pytest.fixture(scope="session")
def aws_endpoint():
    """The emulator's endpoint: the one `tools/emulator.py run` started, or one of our own.

    Under pytest-xdist every worker starts its own, since tests reset the emulator they use.
    """
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith("http://127.0.0.1:") and not os.environ.get("PYTEST_XDIST_WORKER"):
        yield endpoint
        return
    proc, endpoint = emulator.start()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(emulator.client_env(endpoint, base=saved))
    try:
        yield endpoint
    finally:
        emulator.stop_pid(proc.pid)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def clean_emulator(aws_endpoint):
    """An emulator with no state: every resource from earlier tests is wiped first."""
    import webstack_test

    webstack_test.reset_emulator(aws_endpoint)
    return aws_endpoint
