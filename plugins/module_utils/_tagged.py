# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find every live resource carrying an environment's standard tags.

The resource groups tagging API covers most services; EC2 is read type by type with its own
describe calls, which know which resources are alive (deleted NAT gateways and terminated
instances stay visible for a while, and the tag index can outlive a resource).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MANAGED_BY = "illustra.webstack"


def _live(item):
    return item.get("State", "available") not in ("deleted", "deleting", "failed")


EC2_TYPES = (
    ("describe_vpcs", "Vpcs", "VpcId"),
    ("describe_subnets", "Subnets", "SubnetId"),
    ("describe_security_groups", "SecurityGroups", "GroupId"),
    ("describe_route_tables", "RouteTables", "RouteTableId"),
    ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
    ("describe_nat_gateways", "NatGateways", "NatGatewayId"),
    ("describe_addresses", "Addresses", "AllocationId"),
    ("describe_flow_logs", "FlowLogs", "FlowLogId"),
    ("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId"),
    ("describe_volumes", "Volumes", "VolumeId"),
    ("describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId"),
)


def tag_filters(project=None, environment=None):
    wanted = {"ManagedBy": MANAGED_BY}
    if project:
        wanted["Project"] = project
    if environment:
        wanted["Environment"] = environment
    return wanted


def find_tagged(tagging, ec2, project=None, environment=None):
    """Sorted ARNs (or type/id for EC2) of every live resource with the standard tags."""
    wanted = tag_filters(project, environment)
    found = set()
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": k, "Values": [v]} for k, v in wanted.items()]
    ):
        # EC2 resources are counted below, by their own describe calls, which know which are alive.
        found.update(r["ResourceARN"] for r in page["ResourceTagMappingList"] if ":ec2:" not in r["ResourceARN"])
    filters = [{"Name": "tag:" + k, "Values": [v]} for k, v in wanted.items()]
    for call, key, id_field in EC2_TYPES:
        for item in getattr(ec2, call)(Filters=filters)[key]:
            if _live(item):
                found.add(call.replace("describe_", "") + "/" + item[id_field])
    for reservation in ec2.describe_instances(Filters=filters)["Reservations"]:
        for instance in reservation["Instances"]:
            if instance["State"]["Name"] not in ("terminated", "shutting-down"):
                found.add("instance/" + instance["InstanceId"])
    return sorted(found)
