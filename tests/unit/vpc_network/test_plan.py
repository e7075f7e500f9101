"""Pure planning of vpc_network: subnet layout, NAT placement, route and security group diffs."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _vpc as plan

AZS = ["us-east-1a", "us-east-1b"]


def test_layout_carves_public_low_and_private_in_upper_half():
    layout = plan.subnet_layout("10.30.0.0/16", AZS)
    assert [(s["tier"], s["az"], s["cidr"]) for s in layout] == [
        ("public", "us-east-1a", "10.30.0.0/24"),
        ("public", "us-east-1b", "10.30.1.0/24"),
        ("private", "us-east-1a", "10.30.128.0/24"),
        ("private", "us-east-1b", "10.30.129.0/24"),
    ]


def test_layout_takes_explicit_cidrs():
    layout = plan.subnet_layout(
        "10.0.0.0/16", AZS, public_cidrs=["10.0.1.0/24", "10.0.2.0/24"], private_cidrs=["10.0.3.0/24", "10.0.4.0/24"]
    )
    assert [s["cidr"] for s in layout] == ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cidr_block": "10.0.0.0/33"}, "cidr_block '10.0.0.0/33' is not a valid network"),
        ({"cidr_block": "10.0.0.1/16"}, "is not a valid network"),
        ({"cidr_block": "10.0.0.0/24", "prefix_length": 24}, "subnet_prefix_length 24 must be longer"),
        ({"cidr_block": "10.0.0.0/25", "prefix_length": 27}, "has room for only 2"),
        ({"public_cidrs": ["10.0.1.0/24"]}, "public_subnet_cidrs needs one CIDR per availability zone"),
        ({"public_cidrs": ["10.0.1.0/24", "10.0.1.0/25"]}, "overlap"),
        ({"public_cidrs": ["10.0.1.0/24", "10.9.0.0/24"]}, "outside the VPC range"),
    ],
)
def test_layout_rejects_impossible_networks(kwargs, message):
    args = {"cidr_block": "10.0.0.0/16", "azs": AZS if "prefix_length" not in kwargs else AZS * 2}
    args.update(kwargs)
    if "prefix_length" in kwargs and kwargs["cidr_block"] == "10.0.0.0/25":
        args["azs"] = ["a", "b", "c"]
    with pytest.raises(plan.PlanError, match=message):
        plan.subnet_layout(**args)


@pytest.mark.parametrize(
    ("mode", "nat_azs", "via"),
    [
        ("none", [], {"us-east-1a": None, "us-east-1b": None}),
        ("single", ["us-east-1a"], {"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1a"}),
        ("per_az", AZS, {"us-east-1a": "us-east-1a", "us-east-1b": "us-east-1b"}),
    ],
)
def test_nat_placement(mode, nat_azs, via):
    assert plan.nat_placement(mode, AZS) == (nat_azs, via)


def test_nat_placement_rejects_unknown_mode():
    with pytest.raises(plan.PlanError, match="nat_mode 'two'"):
        plan.nat_placement("two", AZS)


LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}


@pytest.mark.parametrize(
    ("desired", "routes", "actions"),
    [
        ({"0.0.0.0/0": {"GatewayId": "igw-1"}}, [LOCAL], [("create", "0.0.0.0/0", {"GatewayId": "igw-1"})]),
        (
            {"0.0.0.0/0": {"GatewayId": "igw-1"}},
            [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}],
            [],
        ),
        (
            {"0.0.0.0/0": {"NatGatewayId": "nat-2"}},
            [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}],
            [("replace", "0.0.0.0/0", {"NatGatewayId": "nat-2"})],
        ),
        (
            {"0.0.0.0/0": {"NatGatewayId": "nat-1"}},
            [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "blackhole"}],
            [("replace", "0.0.0.0/0", {"NatGatewayId": "nat-1"})],
        ),
        (
            {"0.0.0.0/0": None},
            [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}],
            [("delete", "0.0.0.0/0", None)],
        ),
        ({"0.0.0.0/0": None}, [LOCAL], []),
    ],
)
def test_route_changes(desired, routes, actions):
    assert plan.route_changes(desired, routes) == actions


def test_security_group_rules_round_trip_to_no_change():
    rules = [
        {"ports": [80, 443], "cidr_ip": ["0.0.0.0/0"], "description": "web"},
        {"ports": ["8000-8010"], "source_group": "alb"},
        {"protocol": "all", "cidr_ip": ["10.0.0.0/8"]},
    ]
    want = plan.desired_permissions(rules, {"alb": "sg-1"})
    described = plan.to_ip_permissions(sorted(want, key=str), want)
    add, remove = plan.permission_changes(want, plan.current_permissions(described))
    assert (add, remove) == ([], [])
    assert ("tcp", 8000, 8010, ("group", "sg-1")) in want
    assert ("-1", -1, -1, ("cidr", "10.0.0.0/8")) in want


def test_security_group_diff_revokes_what_the_spec_dropped():
    current = plan.current_permissions(
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    want = plan.desired_permissions([{"ports": [80], "source_group": "alb"}], {"alb": "sg-1"})
    add, remove = plan.permission_changes(want, current)
    assert add == [("tcp", 80, 80, ("group", "sg-1"))]
    assert remove == [("tcp", 22, 22, ("cidr", "0.0.0.0/0"))]


def test_unresolved_group_reference_is_a_placeholder_in_check_mode():
    want = plan.desired_permissions([{"ports": [80], "source_group": "alb"}], {"alb": None})
    assert list(want) == [("tcp", 80, 80, ("group", "<alb>"))]
    assert plan.is_pending(("group", "<alb>")) and not plan.is_pending(("group", "sg-1"))
    assert plan.describe_permission(next(iter(want))) == "tcp 80 from group <alb>"


@pytest.mark.parametrize(
    ("rule", "ports"),
    [
        ({"ports": [80, "443"]}, [(80, 80), (443, 443)]),
        ({"ports": ["8000-8010"]}, [(8000, 8010)]),
        ({"protocol": "all", "ports": None}, [(-1, -1)]),
        ({"protocol": "-1"}, [(-1, -1)]),
        ({"port": 22}, [(22, 22)]),
    ],
)
def test_rule_ports(rule, ports):
    assert plan.rule_ports(rule) == ports


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"ports": ["http"]}, "port 'http' is not a port"),
        ({"ports": ["443-80"]}, "port '443-80' is not a port"),
        ({"ports": [70000]}, "port 70000 is not a port"),
        ({"protocol": "udp", "ports": None}, "a udp rule needs ports"),
    ],
)
def test_bad_ports_are_refused(rule, message):
    with pytest.raises(plan.PlanError, match=message):
        plan.rule_ports(rule)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [{"key": "app", "ingress": [{"ports": [80], "source_group": "lb"}]}],
            r"security_groups\[key=app\]\.ingress\[0\]: source_group 'lb' is not the key of a group",
        ),
        (
            [{"key": "app", "egress": [{"ports": ["x"], "cidr_ip": ["10.0.0.0/8"]}]}],
            r"security_groups\[key=app\]\.egress\[0\]: port 'x'",
        ),
        ([{"key": "app"}, {"key": "app"}], "the key\\(s\\) app more than once"),
    ],
)
def test_security_groups_are_checked_before_any_call(groups, message):
    with pytest.raises(plan.PlanError, match=message):
        plan.check_security_groups(groups)


def test_a_valid_set_passes_the_check():
    plan.check_security_groups(
        [
            {"key": "alb", "ingress": [{"ports": [443], "cidr_ip": ["0.0.0.0/0"]}], "egress": []},
            {"key": "app", "ingress": [{"ports": [80], "source_group": "alb"}], "egress": [{"protocol": "all"}]},
        ]
    )


@pytest.mark.parametrize(
    ("key", "direction", "text"),
    [
        (("tcp", 443, 443, ("cidr", "0.0.0.0/0")), "ingress", "tcp 443 from 0.0.0.0/0"),
        (("tcp", 8000, 8010, ("group", "sg-1")), "ingress", "tcp 8000-8010 from group app"),
        (("-1", -1, -1, ("cidr6", "::/0")), "egress", "all to ::/0"),
    ],
)
def test_describe_permission(key, direction, text):
    assert plan.describe_permission(key, {"sg-1": "app"}, direction) == text


def test_route_targets_as_the_diff_shows_them():
    routes = [
        LOCAL,
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"},
        {"DestinationCidrBlock": "10.9.0.0/16", "NatGatewayId": "nat-2", "State": "blackhole"},
        {"DestinationCidrBlock": "10.8.0.0/16", "TransitGatewayId": "tgw-1", "State": "active"},
    ]
    assert plan.route_targets(routes) == {"0.0.0.0/0": "nat-1", "10.9.0.0/16": "blackhole", "10.8.0.0/16": "tgw-1"}
    assert plan.route_target({"NatGatewayId": None}) == "(created in this run)"
    assert plan.route_target(None) is None


@pytest.mark.parametrize(
    ("rules", "violations"),
    [
        ([{"ports": [22], "cidr_ip": ["0.0.0.0/0"]}], 1),
        ([{"ports": ["0-65535"], "cidr_ip": ["0.0.0.0/0"]}], 1),
        ([{"protocol": "all", "cidr_ip": ["0.0.0.0/0"]}], 1),
        ([{"ports": [27017], "cidr_ipv6": ["::/0"]}], 1),
        ([{"ports": [22], "cidr_ip": ["10.0.0.0/8"]}], 0),
        ([{"ports": [80, 443], "cidr_ip": ["0.0.0.0/0"]}], 0),
    ],
)
def test_world_open_violations(rules, violations):
    assert len(plan.world_open_violations([{"key": "x", "ingress": rules}])) == violations


# ---- teardown: which interfaces belong to a load balancer


def _eni(eni_id, description, managed=True):
    return {"NetworkInterfaceId": eni_id, "Description": description, "RequesterManaged": managed}


@pytest.mark.parametrize(
    ("description", "managed", "balancer"),
    [
        ("ELB app/web/50dc6c495c0c9188", True, {"path": "app/web/50dc6c495c0c9188", "type": "app", "name": "web"}),
        (
            "ELB net/api-nlb/0a1b2c3d4e5f6071",
            True,
            {"path": "net/api-nlb/0a1b2c3d4e5f6071", "type": "net", "name": "api-nlb"},
        ),
        ("ELB legacy-web", True, {"path": "legacy-web", "type": "classic", "name": "legacy-web"}),
        ("ELB app/web/50dc6c495c0c9188", False, None),  # someone's own interface named like one
        ("Interface for NAT Gateway nat-0123", True, None),
        ("", False, None),
        ("ELB app/web", True, None),
    ],
)
def test_load_balancer_of_reads_the_description_elb_gives(description, managed, balancer):
    assert plan.load_balancer_of(_eni("eni-1", description, managed)) == balancer


def test_split_interfaces_groups_by_load_balancer_and_keeps_the_rest():
    a1, a2 = _eni("eni-a1", "ELB app/web/aa11"), _eni("eni-a2", "ELB app/web/aa11")
    b = _eni("eni-b", "ELB app/web/bb22")  # a newer load balancer of the same name
    instance = {"NetworkInterfaceId": "eni-i", "Description": "", "InterfaceType": "interface"}
    by_balancer, others = plan.split_interfaces([a1, instance, b, a2])
    assert {path: enis for path, (_lb, enis) in by_balancer.items()} == {"app/web/aa11": [a1, a2], "app/web/bb22": [b]}
    assert others == [instance]


def test_describe_interface_names_what_holds_the_network():
    assert plan.describe_interface(_eni("eni-1", "ELB app/web/aa11")) == "eni-1 (ELB app/web/aa11)"
    assert plan.describe_interface({"NetworkInterfaceId": "eni-2", "InterfaceType": "lambda"}) == "eni-2 (lambda)"
