"""On the lowest ansible-core and botocore the collection declares (`make compat` runs this in its own venv): the
prod stack converges to exactly what a run on the newest builds. One converge: there every task takes the stock path
(a new Python each, about three times as long as in the worker), and the modules' idempotence does not depend on
ansible-core (the integration tests rerun every role with changed=0 on the newest)."""

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


def test_prod_converges_on_this_ansible_core(clean_emulator):
    first = converge()
    assert first.rc == 0, f"ansible-core {ansible.__version__}: {first.summary()}"
    assert stack_inventory("illustra", "prod") == PROD_STACK
