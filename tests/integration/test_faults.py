"""Reliability of the whole prod stack: AWS misbehaving (throttling, 5xx, slow and dropped connections)
and runs killed midway.

Every scenario must end with exactly what a clean run builds, one of every resource: no duplicate VPC,
instance, distribution or bucket, no orphaned elastic IP, role or policy. Clients retry as users
configure them for a throttled account (AWS_RETRY_MODE=standard, AWS_MAX_ATTEMPTS=10).
"""

import json
import os
import signal
import subprocess
import sys

import pytest
import webstack_test as wt

sys.path.insert(0, str(wt.ROOT / "tools"))
from fault_proxy import FaultProxy
from stack_inventory import PROD_STACK, stack_inventory

ENV = "prod"
RETRIES = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "10"}
EXTRA = {"webstack_confirm": ENV}


def through(proxy):
    return dict(RETRIES, AWS_ENDPOINT_URL=proxy.endpoint, AWS_URL=proxy.endpoint)


def converge(env=None):
    """The whole prod stack: preflight and the infrastructure stage (site.yml, no build or release named)."""
    return wt.run_playbook("playbooks/site.yml", f"inventories/{ENV}", extra_vars=EXTRA, env=env)


EXACTLY_ONE_OF_EACH = PROD_STACK


def inventory():
    return stack_inventory("illustra", ENV)


def test_prod_converges_through_a_faulty_api(clean_emulator):
    with FaultProxy(clean_emulator, rate=0.2, seed=20261122, slow_seconds=0.5) as proxy:
        first = converge(through(proxy))
        assert first.rc == 0, first.summary()
        injected = sum(proxy.counts[f] for f in ("throttle", "error500", "error503", "slow", "drop"))
        assert injected >= 3, f"the proxy injected too few faults to prove anything: {proxy.counts}"
        assert inventory() == EXACTLY_ONE_OF_EACH
        again = converge(through(proxy))
        assert again.rc == 0, again.summary()
        assert again.changed == 0, again.summary()
    assert inventory() == EXACTLY_ONE_OF_EACH


# Of about 117 mutating calls: in the network, with both lanes busy, among the last roles.
@pytest.mark.parametrize("kill_after", [3, 45, 95])
def test_a_run_killed_midway_reconverges_without_duplicates(clean_emulator, kill_after):
    """Kill ansible-playbook right after its Nth mutating API call, then run again."""
    cmd = [
        str(wt.ROOT / ".venv" / "bin" / "ansible-playbook"),
        str(wt.ROOT / "playbooks" / "site.yml"),
        "-i", str(wt.ROOT / "inventories" / ENV),
        "-e", json.dumps(EXTRA),
    ]  # fmt: skip
    with FaultProxy(clean_emulator, rate=0.0) as proxy:
        env = dict(os.environ, ANSIBLE_CONFIG=str(wt.ROOT / "ansible.cfg"), **through(proxy))
        proc = subprocess.Popen(
            cmd, cwd=wt.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

        def kill(count, _action):
            if count == kill_after:
                os.killpg(proc.pid, signal.SIGKILL)

        proxy.on_mutation = kill
        proc.wait(timeout=600)
        assert proc.returncode == -signal.SIGKILL, f"the run ended before its mutating call #{kill_after}"
    rerun = converge()
    assert rerun.rc == 0, rerun.summary()
    assert inventory() == EXACTLY_ONE_OF_EACH
    assert converge().changed == 0
