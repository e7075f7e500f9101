"""Reliability: AWS misbehaving (throttling, 5xx, slow and dropped connections) and runs killed midway.

Every scenario must end with exactly one of every resource: no duplicate VPC, subnet, NAT gateway
or orphaned elastic IP. Clients retry as users configure them for a throttled account
(AWS_RETRY_MODE=standard, AWS_MAX_ATTEMPTS=10).
"""

import json
import os
import signal
import subprocess
import sys

import boto3
import pytest
import webstack_test as wt

sys.path.insert(0, str(wt.ROOT / "tools"))
from fault_proxy import FaultProxy

ENV = "prod"
RETRIES = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "10"}
EXTRA = {"webstack_confirm": ENV}


def through(proxy):
    return dict(RETRIES, AWS_ENDPOINT_URL=proxy.endpoint, AWS_URL=proxy.endpoint)


def converge(env=None):
    return wt.run_playbook("playbooks/site.yml", f"inventories/{ENV}", extra_vars=EXTRA, tags="network", env=env)


def inventory_of_network():
    """Counts of every network resource tagged as prod's, live ones only."""
    ec2 = boto3.client("ec2")
    ours = [{"Name": "tag:ManagedBy", "Values": ["illustra.webstack"]}, {"Name": "tag:Environment", "Values": [ENV]}]
    vpcs = ec2.describe_vpcs(Filters=ours)["Vpcs"]
    nats = [n for n in ec2.describe_nat_gateways(Filters=ours)["NatGateways"] if n["State"] in ("pending", "available")]
    return {
        "vpcs": len(vpcs),
        "subnets": len(ec2.describe_subnets(Filters=ours)["Subnets"]),
        "internet_gateways": len(ec2.describe_internet_gateways(Filters=ours)["InternetGateways"]),
        "nat_gateways": len(nats),
        "elastic_ips": len(ec2.describe_addresses(Filters=ours)["Addresses"]),
        "security_groups": len(ec2.describe_security_groups(Filters=ours)["SecurityGroups"]),
        "route_tables": len(ec2.describe_route_tables(Filters=ours)["RouteTables"]),
        "flow_logs": len(
            ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [v["VpcId"] for v in vpcs]}])["FlowLogs"]
        )
        if vpcs
        else 0,
    }


EXACTLY_ONE_OF_EACH = {
    "vpcs": 1,
    "subnets": 4,
    "internet_gateways": 1,
    "nat_gateways": 2,
    "elastic_ips": 2,
    "security_groups": 3,
    "route_tables": 3,
    "flow_logs": 1,
}


def test_prod_converges_through_a_faulty_api(clean_emulator):
    with FaultProxy(clean_emulator, rate=0.2, seed=20261122, slow_seconds=0.5) as proxy:
        first = converge(through(proxy))
        assert first.rc == 0, first.summary()
        injected = sum(proxy.counts[f] for f in ("throttle", "error500", "error503", "slow", "drop"))
        assert injected >= 3, f"the proxy injected too few faults to prove anything: {proxy.counts}"
        assert inventory_of_network() == EXACTLY_ONE_OF_EACH
        again = converge(through(proxy))
        assert again.rc == 0, again.summary()
        assert again.changed == 0, again.summary()
    assert inventory_of_network() == EXACTLY_ONE_OF_EACH


@pytest.mark.parametrize("kill_after", [1, 6, 14])
def test_a_run_killed_midway_reconverges_without_duplicates(clean_emulator, kill_after):
    """Kill ansible-playbook right after its Nth mutating API call, then run again."""
    cmd = [
        str(wt.ROOT / ".venv" / "bin" / "ansible-playbook"),
        str(wt.ROOT / "playbooks" / "site.yml"),
        "-i", str(wt.ROOT / "inventories" / ENV),
        "-e", json.dumps(EXTRA),
        "--tags", "network",
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
    assert inventory_of_network() == EXACTLY_ONE_OF_EACH
    assert converge().changed == 0
