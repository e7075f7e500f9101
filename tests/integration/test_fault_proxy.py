"""The fault proxy itself: it records what it forwards, and a faulted call never reaches the emulator."""

import sys

import boto3
import botocore.config
import pytest
import webstack_test as wt
from botocore.exceptions import ClientError

sys.path.insert(0, str(wt.ROOT / "tools"))
from fault_proxy import FaultProxy

NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _ec2(endpoint):
    return boto3.client("ec2", endpoint_url=endpoint, config=NO_RETRIES)


def test_forwarded_calls_are_recorded_with_the_emulators_time(clean_emulator):
    with FaultProxy(clean_emulator, rate=0.0) as proxy:
        proxy.record = []
        ec2 = _ec2(proxy.endpoint)
        ec2.describe_vpcs()
        ec2.create_vpc(CidrBlock="10.77.0.0/16")
    assert [(c.action, c.mutating) for c in proxy.record] == [("DescribeVpcs", False), ("CreateVpc", True)]
    assert all(c.upstream_seconds > 0 for c in proxy.record)
    assert proxy.counts["mutations"] == 1


@pytest.mark.parametrize("fault", ["throttle", "error500", "error503"])
def test_a_faulted_call_never_reaches_the_emulator(clean_emulator, fault):
    with FaultProxy(clean_emulator, rate=1.0, faults=(fault,)) as proxy, pytest.raises(ClientError) as raised:
        _ec2(proxy.endpoint).create_vpc(CidrBlock="10.78.0.0/16")
    code = raised.value.response["Error"]["Code"]
    assert (
        code
        == {"throttle": "RequestLimitExceeded", "error500": "InternalError", "error503": "ServiceUnavailable"}[fault]
    )
    assert proxy.counts[fault] == 1 and proxy.counts["forwarded"] == 0
    assert [v for v in boto3.client("ec2").describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.78.0.0/16"] == []


def test_the_mutation_hook_sees_only_successful_mutations(clean_emulator):
    seen = []
    with FaultProxy(clean_emulator, rate=0.0) as proxy:
        proxy.on_mutation = lambda count, action: seen.append((count, action))
        ec2 = _ec2(proxy.endpoint)
        ec2.describe_vpcs()
        vpc = ec2.create_vpc(CidrBlock="10.79.0.0/16")["Vpc"]["VpcId"]
        with pytest.raises(ClientError):
            ec2.create_subnet(VpcId=vpc, CidrBlock="192.168.0.0/24")  # outside the VPC: refused
    assert seen == [(1, "CreateVpc")]
