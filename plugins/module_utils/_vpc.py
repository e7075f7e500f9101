# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for the vpc_network module: desired layout, and the difference with what exists.

No boto3 here: every function takes plain data and returns plain data, so it is unit tested
without an emulator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

NAT_MODES = ("none", "single", "per_az")


class PlanError(ValueError):
    """A desired state that cannot be built; the message names the option and the fix."""


def subnet_layout(cidr_block, azs, prefix_length=24, public_cidrs=None, private_cidrs=None):
    """Public and private subnets, one of each per availability zone.

    Without explicit CIDRs, public subnets take the first blocks of the VPC range and private
    subnets the first blocks of its upper half, so the layout is predictable and leaves room.
    """
    try:
        vpc = ipaddress.ip_network(cidr_block, strict=True)
    except ValueError as e:
        raise PlanError(f"cidr_block {cidr_block!r} is not a valid network ({e}); use a form like 10.20.0.0/16") from e
    if not azs:
        raise PlanError("no availability zones: set availability_zones or check the region")
    if prefix_length <= vpc.prefixlen or prefix_length > 28:
        raise PlanError(
            f"subnet_prefix_length {prefix_length} must be longer than the VPC's /{vpc.prefixlen} and at most 28"
        )
    blocks_in_half = 2 ** (prefix_length - vpc.prefixlen - 1)
    if blocks_in_half < len(azs):
        raise PlanError(
            f"cidr_block {cidr_block} has room for only {blocks_in_half} /{prefix_length} subnets per tier; "
            f"use a larger VPC range or a longer subnet_prefix_length"
        )
    blocks = vpc.subnets(new_prefix=prefix_length)
    all_blocks = [str(block) for _index, block in zip(range(2 * blocks_in_half), blocks)]
    public = list(public_cidrs or all_blocks[: len(azs)])
    private = list(private_cidrs or all_blocks[blocks_in_half : blocks_in_half + len(azs)])
    for tier, cidrs in (("public", public), ("private", private)):
        if len(cidrs) != len(azs):
            raise PlanError(f"{tier}_subnet_cidrs needs one CIDR per availability zone ({len(azs)}), got {len(cidrs)}")
    layout = []
    for tier, cidrs in (("public", public), ("private", private)):
        for index, (az, cidr) in enumerate(zip(azs, cidrs)):
            layout.append({"tier": tier, "az": az, "cidr": cidr, "index": index})
    check_cidrs(cidr_block, [s["cidr"] for s in layout])
    return layout


def check_cidrs(vpc_cidr, subnet_cidrs):
    """Every subnet inside the VPC range and no two overlapping."""
    vpc = ipaddress.ip_network(vpc_cidr)
    nets = []
    for cidr in subnet_cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as e:
            raise PlanError(f"subnet CIDR {cidr!r} is not valid ({e}); use a form like 10.20.1.0/24") from e
        if not net.subnet_of(vpc):
            raise PlanError(f"subnet CIDR {cidr} is outside the VPC range {vpc_cidr}")
        for other in nets:
            if net.overlaps(other):
                raise PlanError(f"subnet CIDRs {other} and {cidr} overlap; give each subnet its own range")
        nets.append(net)


def nat_placement(nat_mode, azs):
    """The availability zones that get a NAT gateway, and which NAT each private AZ routes through."""
    if nat_mode not in NAT_MODES:
        raise PlanError(f"nat_mode {nat_mode!r} must be one of {', '.join(NAT_MODES)}")
    if nat_mode == "none":
        return [], {az: None for az in azs}
    if nat_mode == "single":
        return [azs[0]], {az: azs[0] for az in azs}
    return list(azs), {az: az for az in azs}


def route_changes(desired, existing_routes):
    """Create/replace actions for the routes we manage on one route table.

    desired: {destination_cidr: {"GatewayId": ...} or {"NatGatewayId": ...} or None (no route)}
    existing_routes: the table's Routes as EC2 returns them.
    Returns a list of (action, destination, target) with action in create|replace|delete.
    """
    current = {}
    for route in existing_routes:
        dest = route.get("DestinationCidrBlock")
        if not dest or route.get("Origin") == "CreateRouteTable":
            continue
        target = {k: route[k] for k in ("GatewayId", "NatGatewayId") if route.get(k)}
        current[dest] = (target, route.get("State"))
    actions = []
    for dest, target in sorted(desired.items()):
        have = current.get(dest)
        if target is None:
            if have is not None:
                actions.append(("delete", dest, None))
        elif have is None:
            actions.append(("create", dest, target))
        elif have[0] != target or have[1] == "blackhole":
            actions.append(("replace", dest, target))
    return actions


def route_target(target):
    """A route's target as the diff shows it: its gateway id, "(created in this run)" for one that has no id
    yet, None for no route."""
    if target is None:
        return None
    value = next(iter(target.values()), None)
    return value or "(created in this run)"


_ROUTE_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
)


def route_targets(existing_routes):
    """{destination: target} of the routes route_changes() manages (a blackhole route reads as "blackhole")."""
    out = {}
    for route in existing_routes:
        dest = route.get("DestinationCidrBlock")
        if not dest or route.get("Origin") == "CreateRouteTable":
            continue
        ids = [route[k] for k in _ROUTE_TARGET_KEYS if route.get(k)]
        out[dest] = "blackhole" if route.get("State") == "blackhole" else (ids[0] if ids else "another target")
    return out


# Security groups -----------------------------------------------------------------------------

# The options of one security group rule (vpc_network's security_groups[].ingress[] and .egress[]). Ports are
# numbers or "from-to" strings, so they stay raw here and rule_ports() checks them.
RULE_OPTIONS = dict(
    protocol=dict(type="str", default="tcp"),
    ports=dict(type="list", elements="raw", aliases=["port"]),
    cidr_ip=dict(type="list", elements="str", default=[]),
    cidr_ipv6=dict(type="list", elements="str", default=[]),
    source_group=dict(type="str"),
    description=dict(type="str"),
)
ALL_PROTOCOLS = ("-1", "all")


def pending_group(key):
    """The source that stands for group `key` while it has no id (check mode, or created later in the run).

    A rule with such a source is reported (RV(actions), the diff) but authorized only once the group exists.
    """
    return f"<{key}>"


def is_pending(source):
    kind, value = source
    return kind == "group" and str(value).startswith("<")


def rule_ports(rule):
    """[(from, to)] of a rule; (-1, -1) for all protocols. Raises PlanError for a port that is not one."""
    if str(rule.get("protocol") or "tcp") in ALL_PROTOCOLS:
        return [(-1, -1)]
    ports = rule.get("ports")
    if ports is None:
        ports = [rule["port"]] if "port" in rule else []
    if not isinstance(ports, list):
        ports = [ports]
    if not ports:
        raise PlanError(f"a {rule.get('protocol') or 'tcp'} rule needs ports (numbers or from-to ranges)")
    out = []
    for port in ports:
        low, _dash, high = str(port).strip().partition("-")
        try:
            values = (int(low), int(high or low))
        except ValueError:
            values = None
        if values is None or not 0 <= values[0] <= values[1] <= 65535:
            raise PlanError(f"port {port!r} is not a port or a from-to range within 0-65535")
        out.append(values)
    return out


def check_security_groups(groups):
    """Every rule's ports, and every source_group naming a group of the set, before any call."""
    keys = [g["key"] for g in groups]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise PlanError(f"security_groups has the key(s) {', '.join(duplicates)} more than once")
    for group in groups:
        for direction in ("ingress", "egress"):
            for index, rule in enumerate(group.get(direction) or []):
                where = f"security_groups[key={group['key']}].{direction}[{index}]"
                try:
                    rule_ports(rule)
                except PlanError as e:
                    raise PlanError(f"{where}: {e}") from e
                if rule.get("source_group") and rule["source_group"] not in keys:
                    raise PlanError(
                        f"{where}: source_group {rule['source_group']!r} is not the key of a group in security_groups"
                    )


def desired_permissions(rules, group_ids):
    """Expand rule specs into a set of (protocol, from, to, source) keys.

    A source is ("cidr", "0.0.0.0/0"), ("cidr6", "::/0") or ("group", <group id>). Group sources name other
    groups of the set by key; `group_ids` maps keys to ids, None while the group does not exist yet, and
    then the source is pending_group(key).
    """
    perms = {}
    for rule in rules:
        proto = str(rule.get("protocol") or "tcp")
        proto = "-1" if proto in ALL_PROTOCOLS else proto
        sources = [("cidr", c) for c in rule.get("cidr_ip") or []]
        sources += [("cidr6", c) for c in rule.get("cidr_ipv6") or []]
        if rule.get("source_group"):
            key = rule["source_group"]
            sources.append(("group", group_ids.get(key) or pending_group(key)))
        for low, high in rule_ports(rule):
            for source in sources:
                perms[(proto, low, high, source)] = rule.get("description") or ""
    return perms


def current_permissions(ip_permissions):
    """The same key set for permissions as EC2 describes them."""
    perms = {}
    for perm in ip_permissions:
        proto = str(perm.get("IpProtocol", "-1"))
        low = perm.get("FromPort", -1) if proto != "-1" else -1
        high = perm.get("ToPort", -1) if proto != "-1" else -1
        for r in perm.get("IpRanges", []):
            perms[(proto, low, high, ("cidr", r["CidrIp"]))] = r.get("Description", "")
        for r in perm.get("Ipv6Ranges", []):
            perms[(proto, low, high, ("cidr6", r["CidrIpv6"]))] = r.get("Description", "")
        for r in perm.get("UserIdGroupPairs", []):
            perms[(proto, low, high, ("group", r["GroupId"]))] = r.get("Description", "")
    return perms


def permission_changes(desired, current):
    """(to_authorize, to_revoke) as sorted lists of keys; descriptions alone do not count."""
    add = sorted(set(desired) - set(current), key=str)
    remove = sorted(set(current) - set(desired), key=str)
    return add, remove


def describe_permission(key, group_names=None, direction="ingress"):
    """'tcp 443 from 0.0.0.0/0', 'all to group app': a permission as the diff shows it.

    `group_names` maps group ids to the keys of the set, so that groups read by their key.
    """
    proto, low, high, (kind, value) = key
    ports = f"{low}" if low == high else f"{low}-{high}"
    what = "all" if proto == "-1" else f"{proto} {ports}"
    if kind == "group":
        value = "group " + (group_names or {}).get(value, value)
    return f"{what} {'from' if direction == 'ingress' else 'to'} {value}"


def to_ip_permissions(keys, descriptions=None):
    """Keys back to the IpPermissions shape authorize/revoke calls take."""
    descriptions = descriptions or {}
    out = []
    for key in keys:
        proto, low, high, (kind, value) = key
        perm = {"IpProtocol": proto}
        if proto != "-1":
            perm.update(FromPort=low, ToPort=high)
        desc = descriptions.get(key) or None
        if kind == "cidr":
            perm["IpRanges"] = [dict(CidrIp=value, **({"Description": desc} if desc else {}))]
        elif kind == "cidr6":
            perm["Ipv6Ranges"] = [dict(CidrIpv6=value, **({"Description": desc} if desc else {}))]
        else:
            perm["UserIdGroupPairs"] = [dict(GroupId=value, **({"Description": desc} if desc else {}))]
        out.append(perm)
    return out


def world_open_violations(groups, forbidden_ports=(22, 27017, 3389)):
    """Rules that open an administrative or database port to the whole internet."""
    bad = []
    for group in groups:
        for rule in group.get("ingress") or []:
            world = [c for c in rule.get("cidr_ip") or [] if c == "0.0.0.0/0"]
            world += [c for c in rule.get("cidr_ipv6") or [] if c == "::/0"]
            if not world:
                continue
            for low, high in rule_ports(rule):
                hits = [p for p in forbidden_ports if low == -1 or low <= p <= high]
                if hits:
                    bad.append(f"security group {group['key']} opens port(s) {hits} to {world[0]}")
    return bad


# Load balancer interfaces (teardown) ------------------------------------------------------------

# Elastic Load Balancing describes its requester-managed interfaces as "ELB app/<name>/<id>" (ALB),
# "ELB net/..." (NLB), "ELB gwy/..." (GWLB) or "ELB <name>" (Classic); EC2 User Guide,
# "Requester-managed network interfaces".
_ELB_DESCRIPTION = re.compile(r"^ELB (?:(?P<type>app|net|gwy)/(?P<name>[^/]+)/(?P<id>[0-9a-f]+)|(?P<classic>[^/\s]+))$")


def load_balancer_of(interface):
    """The load balancer that owns a network interface, as a dict, or None when it is not a load balancer's.

    {"path": "app/web/50dc6c495c0c9188", "type": "app", "name": "web"} for ELBv2 (the path is the
    resource part of the load balancer's ARN); {"path": "web", "type": "classic", "name": "web"} for a
    Classic Load Balancer.
    """
    if not interface.get("RequesterManaged"):
        return None
    match = _ELB_DESCRIPTION.match(interface.get("Description") or "")
    if not match:
        return None
    if match.group("classic"):
        return {"path": match.group("classic"), "type": "classic", "name": match.group("classic")}
    return {
        "path": "/".join(match.group("type", "name", "id")),
        "type": match.group("type"),
        "name": match.group("name"),
    }


def split_interfaces(interfaces):
    """({load balancer path: (load balancer, [its interfaces])}, [every other interface])."""
    by_balancer = {}
    others = []
    for interface in interfaces:
        balancer = load_balancer_of(interface)
        if balancer is None:
            others.append(interface)
        else:
            by_balancer.setdefault(balancer["path"], (balancer, []))[1].append(interface)
    return by_balancer, others


def describe_interface(interface):
    """'eni-0123 (ELB app/web/50dc...)': an interface as an error message names it."""
    what = interface.get("Description") or interface.get("InterfaceType") or "interface"
    return f"{interface['NetworkInterfaceId']} ({what})"
