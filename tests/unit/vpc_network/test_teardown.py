"""vpc_network state=absent against botocore's Stubber: what holds the VPC, and the bounded wait for the
interfaces of deleted load balancers."""

from types import SimpleNamespace

import boto3
import pytest
from ansible_collections.illustra.webstack.plugins.modules import vpc_network as mod
from botocore.stub import Stubber

VPC = "vpc-0123456789abcdef0"
LB_PATH = "app/illustra-staging/50dc6c495c0c9188"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/" + LB_PATH


class Clock:
    """time.monotonic and time.sleep for the module: sleeping moves the clock, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(mod, "time", SimpleNamespace(monotonic=fake.monotonic, sleep=fake.sleep))
    return fake


@pytest.fixture
def clients():
    made = {
        s: boto3.client(s, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        for s in ("ec2", "elbv2", "elb")
    }
    stubs = {s: Stubber(c) for s, c in made.items()}
    for stub in stubs.values():
        stub.activate()
    yield made, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def lb_eni(eni_id):
    return {
        "NetworkInterfaceId": eni_id,
        "Description": "ELB " + LB_PATH,
        "RequesterId": "amazon-elb",
        "RequesterManaged": True,
        "InterfaceType": "interface",
        "Status": "available",
    }


IN_VPC = {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}


@pytest.fixture
def network(fake_module, clients):
    """A Network on the stubbed clients, its VPC already found: network(timeout=12, check_mode=True)."""
    made, _stubs = clients

    def make(timeout=900, check_mode=False):
        params = {
            "name": "illustra-staging",
            "tags": {"ManagedBy": "illustra.webstack"},
            "load_balancer_interfaces_timeout": timeout,
        }
        net = mod.Network(fake_module(params, check_mode=check_mode, clients=made))
        net.vpc = {"VpcId": VPC, "CidrBlock": "10.20.0.0/16"}
        return net

    make.Failed = fake_module.Failed
    return make


def expect_start(stubs, enis, lb_exists=False):
    stubs["ec2"].add_response(
        "describe_nat_gateways",
        {"NatGateways": []},
        {"Filters": [*IN_VPC["Filters"], {"Name": "state", "Values": ["pending", "available"]}]},
    )
    stubs["ec2"].add_response("describe_network_interfaces", {"NetworkInterfaces": enis}, IN_VPC)
    if lb_exists:
        found = {"LoadBalancers": [{"LoadBalancerArn": LB_ARN, "LoadBalancerName": "illustra-staging"}]}
        stubs["elbv2"].add_response("describe_load_balancers", found, {"Names": ["illustra-staging"]})
    else:
        stubs["elbv2"].add_client_error(
            "describe_load_balancers", "LoadBalancerNotFound", "One or more load balancers not found", 400
        )


def test_interfaces_of_a_live_load_balancer_stop_the_removal_at_once(clients, clock, monkeypatch, network):
    _made, stubs = clients
    net = network()
    monkeypatch.setattr(net, "find_vpc", lambda: net.vpc)
    expect_start(stubs, [lb_eni("eni-a"), lb_eni("eni-b")], lb_exists=True)
    with pytest.raises(
        network.Failed, match=r"still in use by 2 network interface\(s\): eni-a \(ELB app/illustra-staging/"
    ):
        net.absent()
    assert clock.sleeps == [], "a load balancer that still exists is not waited for"


def test_the_wait_ends_when_elb_has_released_them(clients, clock, monkeypatch, network):
    _made, stubs = clients
    net = network()
    monkeypatch.setattr(net, "find_vpc", lambda: net.vpc)
    expect_start(stubs, [lb_eni("eni-a"), lb_eni("eni-b")])
    for left in ([lb_eni("eni-a"), lb_eni("eni-b")], [lb_eni("eni-b")], []):
        stubs["ec2"].add_response("describe_network_interfaces", {"NetworkInterfaces": left}, IN_VPC)
    deleted = []
    monkeypatch.setattr(net, "delete_nat_gateways", lambda nats: deleted.append("nat"))
    monkeypatch.setattr(net.client, "describe_flow_logs", lambda **kw: deleted.append("the rest") or {"FlowLogs": []})
    monkeypatch.setattr(mod.ec2_api, "describe_security_groups", lambda *a, **kw: [])
    monkeypatch.setattr(mod.ec2_api, "describe_route_tables", lambda *a, **kw: [])
    monkeypatch.setattr(mod.ec2_api, "describe_internet_gateways", lambda *a, **kw: [])
    monkeypatch.setattr(mod.ec2_api, "describe_subnets", lambda *a, **kw: [])
    monkeypatch.setattr(mod.ec2_api, "delete_vpc", lambda client, vpc_id: deleted.append(vpc_id))
    changed, _after = net.absent()
    assert changed
    assert clock.sleeps == [mod.RELEASE_POLL_SECONDS] * 2
    assert deleted == ["nat", "the rest", VPC], "the network goes only once they are gone"
    assert net.actions[0] == "wait for 2 network interface(s) of deleted load balancers to go"


def test_the_wait_is_bounded_and_names_what_holds_the_network(clients, clock, monkeypatch, network):
    _made, stubs = clients
    net = network(timeout=12)
    monkeypatch.setattr(net, "find_vpc", lambda: net.vpc)
    expect_start(stubs, [lb_eni("eni-a")])
    for _ in range(4):  # at 0, 5, 10 and 12 s
        stubs["ec2"].add_response("describe_network_interfaces", {"NetworkInterfaces": [lb_eni("eni-a")]}, IN_VPC)
    monkeypatch.setattr(net, "delete_nat_gateways", lambda nats: pytest.fail("nothing is deleted after a timeout"))
    with pytest.raises(network.Failed) as err:
        net.absent()
    assert "still held after 12s by 1 network interface(s) of deleted load balancers: eni-a (ELB " in str(err.value)
    assert "raise load_balancer_interfaces_timeout" in str(err.value)
    assert clock.sleeps == [5, 5, 2]


def test_check_mode_reports_the_wait_and_neither_waits_nor_deletes(clients, clock, monkeypatch, network):
    _made, stubs = clients
    net = network(check_mode=True)
    net.check = True
    monkeypatch.setattr(net, "find_vpc", lambda: net.vpc)
    expect_start(stubs, [lb_eni("eni-a")])
    changed, _after = net.absent()
    assert changed
    assert net.actions == [
        "wait for 1 network interface(s) of deleted load balancers to go",
        f"delete vpc {VPC} and everything in it",
    ]
    assert clock.sleeps == []


def test_a_classic_load_balancer_is_looked_up_by_name(clients, clock, monkeypatch, network):
    _made, stubs = clients
    net = network()
    monkeypatch.setattr(net, "find_vpc", lambda: net.vpc)
    classic = dict(lb_eni("eni-c"), Description="ELB legacy-web")
    stubs["ec2"].add_response(
        "describe_nat_gateways",
        {"NatGateways": []},
        {"Filters": [*IN_VPC["Filters"], {"Name": "state", "Values": ["pending", "available"]}]},
    )
    stubs["ec2"].add_response("describe_network_interfaces", {"NetworkInterfaces": [classic]}, IN_VPC)
    stubs["elb"].add_response(
        "describe_load_balancers",
        {"LoadBalancerDescriptions": [{"LoadBalancerName": "legacy-web"}]},
        {"LoadBalancerNames": ["legacy-web"]},
    )
    with pytest.raises(network.Failed, match=r"eni-c \(ELB legacy-web\)"):
        net.absent()
