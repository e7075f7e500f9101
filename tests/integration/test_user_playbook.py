"""A user's own playbook, in a directory of its own, that uses the collection's roles by their full names: it
converges the same network as site.yml (staging: NAT gateway, flow logs and their IAM role), reruns with changed=0,
and takes about the time site.yml takes for the same work, since nothing beside playbooks/ changes how modules run.
The collection is found on the collections path (ANSIBLE_CONFIG names only that), as an installed one would be."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import webstack_test as wt

# The network stage's own helpers: site.yml's converge and the state it asserts (pytest imports test files by path).
_spec = importlib.util.spec_from_file_location("network_stage", Path(__file__).with_name("test_network.py"))
network_stage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(network_stage)
assert_network, converge = network_stage.assert_network, network_stage.converge

ENV = "staging"


def _user_playbook(tmp_path):
    (tmp_path / "ansible.cfg").write_text(f"[defaults]\ncollections_path = {wt.ROOT / '.cache' / 'collections'}\n")
    (tmp_path / "network.yml").write_text(
        "- name: The shop's staging network\n"
        "  hosts: localhost\n"
        "  connection: local\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - role: illustra.webstack.preflight\n"
        "    - role: illustra.webstack.vpc\n"
    )
    return tmp_path / "network.yml"


def _timed(run, *args, **kwargs):
    started = time.monotonic()
    result = run(*args, **kwargs)
    return result, time.monotonic() - started


def test_a_users_playbook_elsewhere_converges_like_site_yml(clean_emulator, tmp_path):
    playbook = _user_playbook(tmp_path)
    env = {"ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg")}
    user_vars = {"webstack_confirm": ENV}

    created, user_create = _timed(wt.run_playbook, str(playbook), f"inventories/{ENV}", user_vars, env=env)
    assert created.rc == 0, created.summary()
    assert_network(ENV)
    again, user_rerun = _timed(wt.run_playbook, str(playbook), f"inventories/{ENV}", user_vars, env=env)
    assert again.rc == 0 and again.changed == 0, again.summary()

    # site.yml on the network the user's playbook made: nothing to change, so both built the same state.
    site, site_rerun = _timed(converge, ENV)
    assert site.rc == 0 and site.changed == 0, site.summary()

    wt.reset_emulator(clean_emulator)
    site_created, site_create = _timed(converge, ENV)
    assert site_created.rc == 0, site_created.summary()
    assert_network(ENV)
    print(
        f"\nuser playbook: create {user_create:.1f} s, rerun {user_rerun:.1f} s; "
        f"site.yml --tags network: create {site_create:.1f} s, rerun {site_rerun:.1f} s"
    )
