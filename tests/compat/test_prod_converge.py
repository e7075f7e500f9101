"""On the lowest ansible-core and botocore the collection declares (`make compat` runs this in its own venv): the
prod stack converges to exactly what a run on the newest builds, and a second run changes nothing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ansible
import webstack_test as wt
from stack_inventory import PROD_STACK, stack_inventory

# This venv's ansible-playbook, not the main .venv's that run_playbook would put first.
BIN = Path(sys.executable).parent


def converge():
    return wt.run_playbook(
        "playbooks/site.yml",
        "inventories/prod",
        extra_vars={"webstack_confirm": "prod"},
        env={"PATH": f"{BIN}:{os.environ['PATH']}"},
    )


def test_prod_converges_and_is_idempotent_on_this_ansible_core(clean_emulator):
    first = converge()
    assert first.rc == 0, f"ansible-core {ansible.__version__}: {first.summary()}"
    assert stack_inventory("illustra", "prod") == PROD_STACK
    again = converge()
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()
