#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vpc_network
short_description: A VPC with public and private subnets, NAT, routes, security groups and flow logs, as one unit
version_added: 0.1.0
description:
  - Converges a whole network in one call. The VPC, one public and one private subnet per
    availability zone, an internet gateway, NAT gateways (none, one, or one per AZ), a public route
    table and one private route table per AZ, a set of security groups that may reference each
    other, and optional VPC flow logs.
  - Everything is found by tags (V(Name) plus the caller's tags), so a re-run changes only what
    differs. It reads the network with a handful of describe calls and never sleeps; NAT gateways
    are awaited with the EC2 waiter.
  - With O(state=absent) it removes the network in dependency order and refuses, with the list of
    blockers, while other resources (load balancers, instances) still use the VPC.
  - A deleted load balancer's network interfaces stay in its subnets for some minutes after
    DeleteLoadBalancer, and until they go the subnets, the VPC and the load balancer's security group
    cannot be deleted (DependencyViolation). With O(state=absent) the module waits for them, within
    O(load_balancer_interfaces_timeout), then removes the network.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the network; the V(Name) tag of every resource starts with it.
    type: str
    required: true
  state:
    description: Whether the network should exist.
    type: str
    choices: [present, absent]
    default: present
  cidr_block:
    description: IPv4 range of the VPC. Required when O(state=present).
    type: str
  availability_zones:
    description:
      - Availability zones to spread the subnets over. Discovered (the first O(az_count) available
        zones of the region, in name order) when not given.
    type: list
    elements: str
  az_count:
    description: How many availability zones to use when they are discovered.
    type: int
    default: 2
  subnet_prefix_length:
    description: Prefix length of the subnets carved from O(cidr_block) when their CIDRs are not given.
    type: int
    default: 24
  public_subnet_cidrs:
    description: Explicit CIDRs of the public subnets, one per availability zone.
    type: list
    elements: str
  private_subnet_cidrs:
    description: Explicit CIDRs of the private subnets, one per availability zone.
    type: list
    elements: str
  nat_mode:
    description:
      - V(none) gives private subnets no route to the internet; V(single) shares one NAT gateway;
        V(per_az) gives every availability zone its own (no cross-AZ dependency).
    type: str
    choices: [none, single, per_az]
    default: single
  security_groups:
    description: Security groups of the network. Groups not listed are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: Short name used to reference the group from other rules and in the result.
        type: str
        required: true
      description:
        description: Group description (immutable once created).
        type: str
        required: true
      ingress:
        description:
          - Inbound rules. A rule opens its O(security_groups[].ingress[].ports) to each of its sources; rules
            that are not listed are revoked.
        type: list
        elements: dict
        default: []
        suboptions: &rule
          protocol:
            description:
              - An IP protocol as EC2 names it (V(tcp), V(udp), V(icmp)) or its number; V(all) (or V(-1)) for
                every protocol and port.
            type: str
            default: tcp
          ports:
            description:
              - Ports, each a number or a C(from-to) range (V(8000-8010)). Required unless O(security_groups[].ingress[].protocol)
                is V(all).
            type: list
            elements: raw
            aliases: [port]
          cidr_ip:
            description: IPv4 ranges the rule opens the ports to (from, or for egress rules to).
            type: list
            elements: str
            default: []
          cidr_ipv6:
            description: IPv6 ranges the rule opens the ports to.
            type: list
            elements: str
            default: []
          source_group:
            description:
              - The O(security_groups[].key) of another group of this set (for egress rules, the destination).
              - While that group has no id yet (it is created later in the run, or in check mode it would be),
                the diff shows the rule's source as C(group <key>), the key in angle brackets; the rule is
                authorized once the group exists.
            type: str
          description:
            description: Description of the rule (not compared; a changed description alone changes nothing).
            type: str
      egress:
        description:
          - Outbound rules, with the options of O(security_groups[].ingress). Empty means no outbound traffic (the
            allow-all rule EC2 gives a new group is revoked).
        type: list
        elements: dict
        default: []
        suboptions: *rule
  flow_logs:
    description: VPC flow logs to CloudWatch Logs. The log group and the IAM role must exist.
    type: dict
    suboptions:
      enabled:
        description: Whether flow logs are on.
        type: bool
        default: false
      log_group_name:
        description: CloudWatch Logs group receiving the records.
        type: str
      iam_role_arn:
        description: Role that lets the flow logs service write to the group.
        type: str
      traffic_type:
        description: Which traffic to log.
        type: str
        choices: [ACCEPT, REJECT, ALL]
        default: ALL
  tags:
    description: Tags for every resource, on top of V(Name). Resources are found by V(Name) and these tags.
    type: dict
    required: true
    aliases: [resource_tags]
  load_balancer_interfaces_timeout:
    description:
      - With O(state=absent), how long to wait, in seconds, for the network interfaces of load balancers
        that were deleted to be released before the network is removed. Elastic Load Balancing deletes
        them some minutes after the load balancer; the wait ends as soon as they are gone.
      - When the time is up the module fails, naming the interfaces that still hold the VPC.
      - Interfaces of load balancers that still exist are never waited for; they stop the removal at once.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what it would create or change, and changes nothing.
  diff_mode:
    support: full
    description:
      - Returns each part that changes as it is and as it will be, nothing else - the VPC and its DNS settings,
        tags that differ, new subnets and gateways, the routes and subnet associations of each route table that
        changes, every rule of a security group's direction that changes (as C(tcp 443 from 0.0.0.0/0) or
        C(tcp 80 from group alb)), and the flow logs. With O(state=absent), the VPC that goes.
notes:
  - Security group rules are compared as sets of (protocol, ports, source); rules not in the spec are revoked.
  - Subnets that are no longer wanted are reported in RV(vpc.unmanaged_subnet_ids) but never deleted while present.
"""

EXAMPLES = r"""
- name: Converge the prod network
  illustra.webstack.vpc_network:
    name: illustra-prod
    cidr_block: 10.30.0.0/16
    nat_mode: per_az
    security_groups:
      - key: alb
        description: Load balancer
        ingress:
          - {ports: [80, 443], cidr_ip: [0.0.0.0/0]}
        egress:
          - {ports: [80], source_group: app}
      - key: app
        description: Application instances
        ingress:
          - {ports: [80], source_group: alb}
        egress:
          - {protocol: all, cidr_ip: [0.0.0.0/0]}
    tags:
      Project: illustra
      Environment: prod
      ManagedBy: illustra.webstack
  register: network

- name: Remove the network
  illustra.webstack.vpc_network:
    name: illustra-prod
    state: absent
    tags: {Project: illustra, Environment: prod, ManagedBy: illustra.webstack}
"""

RETURN = r"""
vpc:
  description: The network as it is after the run (ids are null for what check mode would create).
  returned: always
  type: dict
  contains:
    vpc_id:
      description: VPC id.
      type: str
      sample: vpc-0123456789abcdef0
    cidr_block:
      description: VPC range.
      type: str
    azs:
      description: Availability zones in use.
      type: list
      elements: str
    public_subnet_ids:
      description: Public subnet ids, in AZ order.
      type: list
      elements: str
    private_subnet_ids:
      description: Private subnet ids, in AZ order.
      type: list
      elements: str
    subnets:
      description: Every managed subnet with its tier, AZ and CIDR.
      type: list
      elements: dict
    internet_gateway_id:
      description: Internet gateway id.
      type: str
    nat_gateway_ids:
      description: NAT gateway ids.
      type: list
      elements: str
    public_route_table_id:
      description: Route table of the public subnets.
      type: str
    private_route_table_ids:
      description: Route tables of the private subnets, in AZ order.
      type: list
      elements: str
    security_group_ids:
      description: Security group ids by key.
      type: dict
    flow_log_id:
      description: Flow log id, when enabled.
      type: str
    unmanaged_subnet_ids:
      description: Subnets of the VPC tagged as ours but no longer in the spec.
      type: list
      elements: str
actions:
  description: What was done (or would be, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create vpc 10.30.0.0/16", "create subnet public 10.30.0.0/24 in us-east-1a"]
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils import ec2 as ec2_api
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
)

from ansible_collections.illustra.webstack.plugins.module_utils import _vpc as plan

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore


# How often the removal looks again for the interfaces of deleted load balancers.
RELEASE_POLL_SECONDS = 5


def _flow_log(log):
    return {
        "log_group_name": log.get("LogGroupName"),
        "traffic_type": log.get("TrafficType"),
        "iam_role_arn": log.get("DeliverLogsPermissionArn"),
    }


def _tag_filters(tags):
    return [{"Name": "tag:" + k, "Values": [v]} for k, v in sorted(tags.items())]


class Network:
    """Reads and converges one network. Each ensure_* returns True when it changed something."""

    def __init__(self, module):
        self.module = module
        self.client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        self.check = module.check_mode
        self.params = module.params
        self.name = self.params["name"]
        self.tags = dict(self.params["tags"])
        self.actions = []
        self.vpc = None
        self.out = {"security_group_ids": {}, "nat_gateway_ids": [], "unmanaged_subnet_ids": []}
        # --diff: each part that changes, as it was and as it will be (see record()).
        self.diff_before = {}
        self.diff_after = {}

    # -- helpers -------------------------------------------------------------------------------
    def tags_for(self, suffix, extra=None):
        tags = dict(self.tags, Name=self.name + ("-" + suffix if suffix else ""))
        tags.update(extra or {})
        return tags

    def act(self, description):
        self.actions.append(description)
        return not self.check

    def record(self, path, before, after):
        """Note a change for --diff: the part at `path` (a tuple of keys) before and after; None is absent."""
        for side, value in ((self.diff_before, before), (self.diff_after, after)):
            node = side
            for key in path[:-1]:
                node = node.setdefault(key, {})
            if value is not None:
                node[path[-1]] = value

    def in_vpc(self):
        return [{"Name": "vpc-id", "Values": [self.vpc["VpcId"]]}] if self.vpc else None

    def ensure_tags(self, resource_id, current, wanted):
        current = boto3_tag_list_to_ansible_dict(current or [])
        missing = {k: v for k, v in wanted.items() if current.get(k) != v}
        if not missing:
            return False
        self.record(("tags", f"{wanted.get('Name')} ({resource_id})"), {k: current.get(k) for k in missing}, missing)
        if self.act(f"tag {resource_id}"):
            self.client.create_tags(
                Resources=[resource_id], Tags=ansible_dict_to_boto3_tag_list(missing), aws_retry=True
            )
        return True

    # -- discovery -------------------------------------------------------------------------------
    def find_vpc(self):
        vpcs = ec2_api.describe_vpcs(self.client, Filters=_tag_filters(self.tags_for(None)))
        if len(vpcs) > 1:
            ids = ", ".join(v["VpcId"] for v in vpcs)
            self.module.fail_json(msg=f"several VPCs are tagged as network {self.name!r} ({ids}); remove the strays")
        self.vpc = vpcs[0] if vpcs else None
        return self.vpc

    def discover_azs(self):
        if self.params["availability_zones"]:
            return list(self.params["availability_zones"])
        zones = ec2_api.describe_availability_zones(
            self.client,
            Filters=[
                {"Name": "state", "Values": ["available"]},
                {"Name": "zone-type", "Values": ["availability-zone"]},
            ],
        )
        names = sorted(z["ZoneName"] for z in zones)
        if len(names) < self.params["az_count"]:
            self.module.fail_json(
                msg=f"the region has {len(names)} available zones but az_count is {self.params['az_count']}; lower az_count"
            )
        return names[: self.params["az_count"]]

    # -- converge --------------------------------------------------------------------------------
    def ensure_vpc(self):
        cidr = self.params["cidr_block"]
        if self.vpc:
            if self.vpc["CidrBlock"] != cidr:
                self.module.fail_json(
                    msg=f"network {self.name!r} exists with cidr_block {self.vpc['CidrBlock']}, not {cidr}: a VPC's "
                    "primary range cannot change. Set cidr_block back, or remove the network first (state=absent)."
                )
            changed = self.ensure_tags(self.vpc["VpcId"], self.vpc.get("Tags"), self.tags_for(None))
            return self.ensure_dns() or changed
        self.record(("vpc",), None, {"cidr_block": cidr, "tags": self.tags_for(None)})
        if self.act(f"create vpc {cidr}"):
            self.vpc = ec2_api.create_vpc(
                self.client, CidrBlock=cidr, TagSpecifications=boto3_tag_specifications(self.tags_for(None), ["vpc"])
            )
            self.client.get_waiter("vpc_available").wait(VpcIds=[self.vpc["VpcId"]])
            self.ensure_dns()
        return True

    def ensure_dns(self):
        """DNS support and hostnames on (private zones, SSM endpoints); repaired after drift or an interrupted run."""
        changed = False
        for attribute, field in (
            ("enableDnsSupport", "EnableDnsSupport"),
            ("enableDnsHostnames", "EnableDnsHostnames"),
        ):
            if ec2_api.describe_vpc_attribute(self.client, self.vpc["VpcId"], attribute)[field]["Value"]:
                continue
            changed = True
            self.record(("vpc", attribute), False, True)
            if self.act(f"enable {attribute} on {self.vpc['VpcId']}"):
                self.client.modify_vpc_attribute(VpcId=self.vpc["VpcId"], **{field: {"Value": True}}, aws_retry=True)
        return changed

    def ensure_subnets(self, layout):
        existing = (
            {s["CidrBlock"]: s for s in ec2_api.describe_subnets(self.client, Filters=self.in_vpc())}
            if self.vpc
            else {}
        )
        changed = False
        subnets = []
        for spec in layout:
            suffix = (
                f"{spec['tier']}-{spec['az'][-1]}" if spec["az"][-1].isalpha() else f"{spec['tier']}-{spec['index']}"
            )
            tags = self.tags_for(suffix, {"Tier": spec["tier"]})
            have = existing.pop(spec["cidr"], None)
            if have and have["AvailabilityZone"] != spec["az"]:
                self.module.fail_json(
                    msg=f"subnet {spec['cidr']} exists in {have['AvailabilityZone']}, not {spec['az']}; a subnet cannot move. "
                    "Set availability_zones to the zones in use, or remove the network first (state=absent)."
                )
            if have:
                changed |= self.ensure_tags(have["SubnetId"], have.get("Tags"), tags)
                subnet_id = have["SubnetId"]
            else:
                changed = True
                subnet_id = None
                self.record(
                    ("subnets", tags["Name"]), None, {"cidr": spec["cidr"], "az": spec["az"], "tier": spec["tier"]}
                )
                if self.act(f"create subnet {spec['tier']} {spec['cidr']} in {spec['az']}"):
                    subnet_id = ec2_api.create_subnet(
                        self.client,
                        VpcId=self.vpc["VpcId"],
                        CidrBlock=spec["cidr"],
                        AvailabilityZone=spec["az"],
                        TagSpecifications=boto3_tag_specifications(tags, ["subnet"]),
                    )["SubnetId"]
            public = spec["tier"] == "public"
            if public and (not have or not have.get("MapPublicIpOnLaunch")):
                changed = True
                self.record(("subnets", tags["Name"], "map_public_ip_on_launch"), False if have else None, True)
                if self.act(f"map public IPs on launch in {spec['cidr']}") and subnet_id:
                    self.client.modify_subnet_attribute(
                        SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True}, aws_retry=True
                    )
            subnets.append(dict(spec, id=subnet_id))
        managed = self.tags.get("ManagedBy")
        self.out["unmanaged_subnet_ids"] = [
            s["SubnetId"]
            for s in existing.values()
            if boto3_tag_list_to_ansible_dict(s.get("Tags", [])).get("ManagedBy") == managed and managed
        ]
        self.subnets = subnets
        return changed

    def ensure_internet_gateway(self):
        igws = (
            ec2_api.describe_internet_gateways(
                self.client, Filters=[{"Name": "attachment.vpc-id", "Values": [self.vpc["VpcId"]]}]
            )
            if self.vpc
            else []
        )
        if igws:
            self.igw_id = igws[0]["InternetGatewayId"]
            return self.ensure_tags(self.igw_id, igws[0].get("Tags"), self.tags_for("igw"))
        self.igw_id = None
        self.record(("internet_gateway",), None, self.tags_for("igw")["Name"])
        if self.act("create and attach internet gateway"):
            self.igw_id = ec2_api.create_internet_gateway(self.client, self.tags_for("igw"))["InternetGatewayId"]
            ec2_api.attach_internet_gateway(self.client, self.igw_id, self.vpc["VpcId"])
        return True

    def ensure_nat_gateways(self, azs):
        nat_azs, routes_via = plan.nat_placement(self.params["nat_mode"], azs)
        public_by_az = {s["az"]: s["id"] for s in self.subnets if s["tier"] == "public"}
        existing = []
        if self.vpc:
            existing = ec2_api.describe_nat_gateways(
                self.client, Filters=[*self.in_vpc(), {"Name": "state", "Values": ["pending", "available"]}]
            )
        by_subnet = {n["SubnetId"]: n for n in existing}
        changed = False
        nat_by_az = {}
        created = []
        for az in nat_azs:
            subnet_id = public_by_az.get(az)
            have = by_subnet.pop(subnet_id, None) if subnet_id else None
            if have:
                nat_by_az[az] = have["NatGatewayId"]
                if have["State"] == "pending":
                    created.append(have["NatGatewayId"])
                continue
            changed = True
            nat_by_az[az] = None
            self.record(("nat_gateways", az), None, f"in the public subnet of {az}")
            if self.act(f"create NAT gateway in {az}"):
                tags = self.tags_for(f"nat-{az}")
                eip = self.spare_address(tags) or ec2_api.allocate_address(
                    self.client, Domain="vpc", TagSpecifications=boto3_tag_specifications(tags, ["elastic-ip"])
                )
                nat = ec2_api.create_nat_gateway(
                    self.client,
                    SubnetId=subnet_id,
                    AllocationId=eip["AllocationId"],
                    TagSpecifications=boto3_tag_specifications(tags, ["natgateway"]),
                )
                nat_by_az[az] = nat["NatGatewayId"]
                created.append(nat["NatGatewayId"])
        # NAT gateways in subnets we no longer want (mode lowered): delete them and their addresses.
        for nat in by_subnet.values():
            if boto3_tag_list_to_ansible_dict(nat.get("Tags", [])).get("ManagedBy") != self.tags.get("ManagedBy"):
                continue
            changed = True
            self.record(("nat_gateways", nat["NatGatewayId"]), f"in subnet {nat['SubnetId']}", None)
            if self.act(f"delete NAT gateway {nat['NatGatewayId']} (nat_mode {self.params['nat_mode']})"):
                self.delete_nat_gateways([nat])
        if created and not self.check:
            self.client.get_waiter("nat_gateway_available").wait(NatGatewayIds=created)
        self.out["nat_gateway_ids"] = [nat_by_az[az] for az in nat_azs]
        self.routes_via = {az: (nat_by_az.get(via) if via else None) for az, via in routes_via.items()}
        self.nat_wanted = {az: via is not None for az, via in routes_via.items()}
        return changed

    def spare_address(self, tags):
        """An address this network allocated for the NAT but never attached (an interrupted run)."""
        for address in ec2_api.describe_addresses(self.client, Filters=_tag_filters(tags)):
            if not address.get("AssociationId") and not address.get("NetworkInterfaceId"):
                return address
        return None

    def ensure_route_tables(self, azs):
        tables = ec2_api.describe_route_tables(self.client, Filters=self.in_vpc()) if self.vpc else []
        by_name = {}
        for table in tables:
            name = boto3_tag_list_to_ansible_dict(table.get("Tags", [])).get("Name")
            if name:
                by_name[name] = table
        changed = False
        wanted = [
            (
                "public",
                [s for s in self.subnets if s["tier"] == "public"],
                {"0.0.0.0/0": {"GatewayId": self.igw_id}},
                True,
            )
        ]
        for az in azs:
            route = {"NatGatewayId": self.routes_via[az]} if self.nat_wanted[az] else None
            wanted.append(
                (
                    f"private-{az}",
                    [s for s in self.subnets if s["tier"] == "private" and s["az"] == az],
                    {"0.0.0.0/0": route},
                    False,
                )
            )
        ids = {}
        for suffix, subnets, routes, _public in wanted:
            tags = self.tags_for("rt-" + suffix)
            table = by_name.get(tags["Name"])
            if table:
                changed |= self.ensure_tags(table["RouteTableId"], table.get("Tags"), tags)
                table_id = table["RouteTableId"]
            else:
                changed = True
                table_id = None
                table = {"Routes": [], "Associations": []}
                self.record(("route_tables", tags["Name"], "created"), None, True)
                if self.act(f"create route table {tags['Name']}"):
                    table_id = ec2_api.create_route_table(self.client, self.vpc["VpcId"], tags)["RouteTableId"]
            ids[suffix] = table_id
            current_targets = plan.route_targets(table.get("Routes", []))
            for action, dest, target in plan.route_changes(routes, table.get("Routes", [])):
                self.record(
                    ("route_tables", tags["Name"], "routes", dest),
                    current_targets.get(dest),
                    plan.route_target(target),
                )
                if target and None in target.values():
                    # The target (internet or NAT gateway) is only being created in this check-mode run.
                    self.actions.append(f"{action} route {dest} in {tags['Name']}")
                    changed = True
                    continue
                changed = True
                if self.act(f"{action} route {dest} in {tags['Name']}") and table_id:
                    call = {
                        "create": self.client.create_route,
                        "replace": self.client.replace_route,
                        "delete": self.client.delete_route,
                    }[action]
                    call(RouteTableId=table_id, DestinationCidrBlock=dest, aws_retry=True, **(target or {}))
            associated = {a.get("SubnetId") for a in table.get("Associations", []) if a.get("SubnetId")}
            for subnet in subnets:
                if subnet["id"] in associated:
                    continue
                changed = True
                self.record(("route_tables", tags["Name"], "subnets", subnet["cidr"]), None, "associated")
                if (
                    self.act(f"associate {subnet['tier']} subnet {subnet['cidr']} with {tags['Name']}")
                    and table_id
                    and subnet["id"]
                ):
                    self.replace_association(tables, subnet["id"], table_id)
        self.out["public_route_table_id"] = ids["public"]
        self.out["private_route_table_ids"] = [ids[f"private-{az}"] for az in azs]
        return changed

    def replace_association(self, tables, subnet_id, table_id):
        for table in tables:
            for assoc in table.get("Associations", []):
                if assoc.get("SubnetId") == subnet_id:
                    self.client.replace_route_table_association(
                        AssociationId=assoc["RouteTableAssociationId"], RouteTableId=table_id, aws_retry=True
                    )
                    return
        self.client.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id, aws_retry=True)

    def ensure_security_groups(self):
        specs = self.params["security_groups"]
        groups = ec2_api.describe_security_groups(self.client, Filters=self.in_vpc()) if self.vpc else []
        by_name = {g["GroupName"]: g for g in groups}
        ids = {}
        changed = False
        for spec in specs:
            name = f"{self.name}-{spec['key']}"
            group = by_name.get(name)
            if group:
                ids[spec["key"]] = group["GroupId"]
                changed |= self.ensure_tags(group["GroupId"], group.get("Tags"), self.tags_for(spec["key"]))
                continue
            changed = True
            ids[spec["key"]] = None
            self.record(("security_groups", spec["key"], "description"), None, spec["description"])
            if self.act(f"create security group {name}"):
                created = ec2_api.create_security_group(
                    self.client,
                    GroupName=name,
                    Description=spec["description"],
                    VpcId=self.vpc["VpcId"],
                    TagSpecifications=boto3_tag_specifications(self.tags_for(spec["key"]), ["security-group"]),
                )
                ids[spec["key"]] = created["GroupId"]
                # New groups come with allow-all egress; the spec decides what stays.
                by_name[name] = {
                    "IpPermissions": [],
                    "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                }
        names = {group_id: key for key, group_id in ids.items() if group_id}
        for spec in specs:
            group = by_name.get(f"{self.name}-{spec['key']}", {"IpPermissions": [], "IpPermissionsEgress": []})
            for direction, field in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
                want = plan.desired_permissions(spec[direction], ids)
                have = plan.current_permissions(group.get(field, []))
                add, remove = plan.permission_changes(want, have)
                if not add and not remove:
                    continue
                changed = True
                self.record(
                    ("security_groups", spec["key"], direction),
                    sorted(plan.describe_permission(k, names, direction) for k in have),
                    sorted(plan.describe_permission(k, names, direction) for k in want),
                )
                group_id = ids[spec["key"]]
                if (
                    not self.act(f"{direction} of {spec['key']}: authorize {len(add)}, revoke {len(remove)}")
                    or not group_id
                ):
                    continue
                resolvable = [k for k in add if not plan.is_pending(k[3])]
                if remove:
                    call = (
                        self.client.revoke_security_group_ingress
                        if direction == "ingress"
                        else self.client.revoke_security_group_egress
                    )
                    call(GroupId=group_id, IpPermissions=plan.to_ip_permissions(remove), aws_retry=True)
                if resolvable:
                    call = (
                        self.client.authorize_security_group_ingress
                        if direction == "ingress"
                        else self.client.authorize_security_group_egress
                    )
                    call(GroupId=group_id, IpPermissions=plan.to_ip_permissions(resolvable, want), aws_retry=True)
        self.out["security_group_ids"] = ids
        return changed

    def ensure_flow_logs(self):
        spec = self.params["flow_logs"] or {}
        logs = []
        if self.vpc:
            logs = self.client.describe_flow_logs(
                Filters=[{"Name": "resource-id", "Values": [self.vpc["VpcId"]]}], aws_retry=True
            )["FlowLogs"]
        if not spec.get("enabled"):
            ours = [
                f
                for f in logs
                if boto3_tag_list_to_ansible_dict(f.get("Tags", [])).get("ManagedBy") == self.tags.get("ManagedBy")
            ]
            for log in ours:
                self.record(("flow_logs", log["FlowLogId"]), _flow_log(log), None)
            if ours and self.act("delete flow logs"):
                self.client.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in ours], aws_retry=True)
            self.out["flow_log_id"] = None
            return bool(ours)
        for log in logs:
            if (
                log.get("LogGroupName") == spec["log_group_name"]
                and log.get("TrafficType") == spec["traffic_type"]
                and log.get("DeliverLogsPermissionArn") == spec["iam_role_arn"]
            ):
                self.out["flow_log_id"] = log["FlowLogId"]
                return False
        self.out["flow_log_id"] = None
        for log in logs:
            self.record(("flow_logs", log["FlowLogId"]), _flow_log(log), None)
        self.record(
            ("flow_logs", "new"),
            None,
            {
                "log_group_name": spec["log_group_name"],
                "traffic_type": spec["traffic_type"],
                "iam_role_arn": spec["iam_role_arn"],
            },
        )
        if self.act(f"create flow logs to {spec['log_group_name']}"):
            if logs:
                self.client.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in logs], aws_retry=True)
            created = self.client.create_flow_logs(
                ResourceIds=[self.vpc["VpcId"]],
                ResourceType="VPC",
                TrafficType=spec["traffic_type"],
                LogDestinationType="cloud-watch-logs",
                LogGroupName=spec["log_group_name"],
                DeliverLogsPermissionArn=spec["iam_role_arn"],
                TagSpecifications=boto3_tag_specifications(self.tags_for("flow-logs"), ["vpc-flow-log"]),
                aws_retry=True,
            )
            self.out["flow_log_id"] = created["FlowLogIds"][0] if created.get("FlowLogIds") else None
        return True

    def summary(self, azs=None):
        subnets = getattr(self, "subnets", [])
        return dict(
            self.out,
            vpc_id=self.vpc["VpcId"] if self.vpc else None,
            cidr_block=self.params.get("cidr_block") or (self.vpc or {}).get("CidrBlock"),
            azs=azs or [],
            subnets=[{"id": s["id"], "tier": s["tier"], "az": s["az"], "cidr": s["cidr"]} for s in subnets],
            public_subnet_ids=[s["id"] for s in subnets if s["tier"] == "public"],
            private_subnet_ids=[s["id"] for s in subnets if s["tier"] == "private"],
            internet_gateway_id=getattr(self, "igw_id", None),
        )

    def present(self):
        try:
            plan.check_security_groups(self.params["security_groups"])
        except plan.PlanError as e:
            self.module.fail_json(msg=str(e))
        azs = self.discover_azs()
        try:
            layout = plan.subnet_layout(
                self.params["cidr_block"],
                azs,
                self.params["subnet_prefix_length"],
                self.params["public_subnet_cidrs"],
                self.params["private_subnet_cidrs"],
            )
        except plan.PlanError as e:
            self.module.fail_json(msg=str(e))
        self.find_vpc()
        changed = self.ensure_vpc()
        changed |= self.ensure_subnets(layout)
        changed |= self.ensure_internet_gateway()
        changed |= self.ensure_nat_gateways(azs)
        changed |= self.ensure_route_tables(azs)
        changed |= self.ensure_security_groups()
        changed |= self.ensure_flow_logs()
        return changed, self.summary(azs)

    # -- removal ---------------------------------------------------------------------------------
    def delete_nat_gateways(self, nats):
        for nat in nats:
            ec2_api.delete_nat_gateway(self.client, nat["NatGatewayId"])
        if nats:
            self.client.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[n["NatGatewayId"] for n in nats])
        for nat in nats:
            for address in nat.get("NatGatewayAddresses", []):
                if address.get("AllocationId"):
                    ec2_api.release_address(self.client, address["AllocationId"])

    def live_load_balancers(self, balancers):
        """The paths (app/<name>/<id>, or a Classic name) of the load balancers that still exist."""
        live = set()
        for balancer in balancers:
            try:
                if balancer["type"] == "classic":
                    self.module.client("elb", retry_decorator=AWSRetry.jittered_backoff()).describe_load_balancers(
                        LoadBalancerNames=[balancer["name"]], aws_retry=True
                    )
                    live.add(balancer["path"])
                    continue
                found = self.module.client(
                    "elbv2", retry_decorator=AWSRetry.jittered_backoff()
                ).describe_load_balancers(Names=[balancer["name"]], aws_retry=True)["LoadBalancers"]
            except is_boto3_error_code(["LoadBalancerNotFound", "AccessPointNotFound"]):
                continue
            # A load balancer of the same name made since has another id, and other interfaces.
            if any(lb["LoadBalancerArn"].endswith(":loadbalancer/" + balancer["path"]) for lb in found):
                live.add(balancer["path"])
        return live

    def await_released(self, interfaces):
        """Wait, within load_balancer_interfaces_timeout, until ELB has deleted these interfaces."""
        timeout = self.params["load_balancer_interfaces_timeout"]
        deadline = time.monotonic() + timeout
        waiting = {eni["NetworkInterfaceId"]: eni for eni in interfaces}
        while waiting:
            present = {
                eni["NetworkInterfaceId"]
                for eni in ec2_api.describe_network_interfaces(self.client, Filters=self.in_vpc())
            }
            waiting = {eni_id: eni for eni_id, eni in waiting.items() if eni_id in present}
            remaining = deadline - time.monotonic()
            if waiting and remaining <= 0:
                self.module.fail_json(
                    msg=f"network {self.name!r} ({self.vpc['VpcId']}) is still held after {timeout}s by "
                    f"{len(waiting)} network interface(s) of deleted load balancers: "
                    + ", ".join(plan.describe_interface(eni) for eni in list(waiting.values())[:5])
                    + ". Elastic Load Balancing deletes them some minutes after the load balancer; run the removal "
                    "again later, or raise load_balancer_interfaces_timeout."
                )
            if waiting:
                time.sleep(min(RELEASE_POLL_SECONDS, remaining))

    def absent(self):
        if not self.find_vpc():
            return False, {}
        vpc_id = self.vpc["VpcId"]
        nats = ec2_api.describe_nat_gateways(
            self.client, Filters=[*self.in_vpc(), {"Name": "state", "Values": ["pending", "available"]}]
        )
        own_enis = {a.get("NetworkInterfaceId") for nat in nats for a in nat.get("NatGatewayAddresses", [])}
        by_balancer, others = plan.split_interfaces(
            eni
            for eni in ec2_api.describe_network_interfaces(self.client, Filters=self.in_vpc())
            if eni["NetworkInterfaceId"] not in own_enis and eni.get("InterfaceType") != "nat_gateway"
        )
        live = self.live_load_balancers([balancer for balancer, _enis in by_balancer.values()])
        blockers = [plan.describe_interface(eni) for eni in others]
        blockers += [plan.describe_interface(eni) for path in live for eni in by_balancer[path][1]]
        if blockers:
            self.module.fail_json(
                msg=f"network {self.name!r} ({vpc_id}) is still in use by {len(blockers)} network interface(s): "
                + ", ".join(blockers[:5])
                + ". Remove what runs in it first (teardown removes the backend and load balancer before the network)."
            )
        # Interfaces of load balancers already deleted: ELB deletes them minutes later, and until then
        # the subnets, the VPC and the load balancer's security group cannot be deleted.
        releasing = [eni for path, (_balancer, enis) in by_balancer.items() if path not in live for eni in enis]
        self.record(
            ("vpc",), {"vpc_id": vpc_id, "cidr_block": self.vpc["CidrBlock"], "tags": self.tags_for(None)}, None
        )
        if releasing:
            self.actions.append(f"wait for {len(releasing)} network interface(s) of deleted load balancers to go")
        if not self.act(f"delete vpc {vpc_id} and everything in it"):
            return True, {}
        self.await_released(releasing)
        self.delete_nat_gateways(nats)
        logs = self.client.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}], aws_retry=True)[
            "FlowLogs"
        ]
        if logs:
            self.client.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in logs], aws_retry=True)
        groups = [
            g
            for g in ec2_api.describe_security_groups(self.client, Filters=self.in_vpc())
            if g["GroupName"] != "default"
        ]
        for group in groups:  # rules first: groups that reference each other cannot be deleted otherwise
            if group.get("IpPermissions"):
                ec2_api.revoke_security_group_ingress(
                    self.client, GroupId=group["GroupId"], IpPermissions=group["IpPermissions"]
                )
            if group.get("IpPermissionsEgress"):
                ec2_api.revoke_security_group_egress(
                    self.client, GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"]
                )
        for group in groups:
            ec2_api.delete_security_group(self.client, group["GroupId"])
        for table in ec2_api.describe_route_tables(self.client, Filters=self.in_vpc()):
            if any(a.get("Main") for a in table.get("Associations", [])):
                continue
            for assoc in table.get("Associations", []):
                ec2_api.disassociate_route_table(self.client, assoc["RouteTableAssociationId"])
            ec2_api.delete_route_table(self.client, table["RouteTableId"])
        for igw in ec2_api.describe_internet_gateways(
            self.client, Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        ):
            ec2_api.detach_internet_gateway(self.client, igw["InternetGatewayId"], vpc_id)
            ec2_api.delete_internet_gateway(self.client, igw["InternetGatewayId"])
        for subnet in ec2_api.describe_subnets(self.client, Filters=self.in_vpc()):
            ec2_api.delete_subnet(self.client, subnet["SubnetId"])
        ec2_api.delete_vpc(self.client, vpc_id)
        return True, {}


def argument_spec():
    rule = dict(type="list", elements="dict", default=[], options=plan.RULE_OPTIONS)
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        cidr_block=dict(type="str"),
        availability_zones=dict(type="list", elements="str"),
        az_count=dict(type="int", default=2),
        subnet_prefix_length=dict(type="int", default=24),
        public_subnet_cidrs=dict(type="list", elements="str"),
        private_subnet_cidrs=dict(type="list", elements="str"),
        nat_mode=dict(type="str", choices=list(plan.NAT_MODES), default="single"),
        security_groups=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                key=dict(type="str", required=True, no_log=False),
                description=dict(type="str", required=True),
                ingress=rule,
                egress=rule,
            ),
        ),
        flow_logs=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", default=False),
                log_group_name=dict(type="str"),
                iam_role_arn=dict(type="str"),
                traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
            ),
            required_if=[("enabled", True, ("log_group_name", "iam_role_arn"))],
        ),
        tags=dict(type="dict", required=True, aliases=["resource_tags"]),
        load_balancer_interfaces_timeout=dict(type="int", default=900),
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ("cidr_block",))],
        supports_check_mode=True,
    )
    if module.params["load_balancer_interfaces_timeout"] < 0:
        module.fail_json(msg="load_balancer_interfaces_timeout must be 0 or more seconds")
    network = Network(module)
    try:
        if module.params["state"] == "present":
            changed, after = network.present()
        else:
            changed, after = network.absent()
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to converge network {module.params['name']!r}")
    result = dict(changed=changed, vpc=after, actions=network.actions)
    if module._diff:
        result["diff"] = {"before": network.diff_before, "after": network.diff_after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
