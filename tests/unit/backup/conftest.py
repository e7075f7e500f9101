"""Load the backup role's host script (roles/backup/files/webstack_mongo_backup.py) as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "backup" / "files" / "webstack_mongo_backup.py"


@pytest.fixture(scope="session")
def wmb():
    spec = importlib.util.spec_from_file_location("webstack_mongo_backup", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
