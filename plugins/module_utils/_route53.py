# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Route 53 record sets: API wrappers (retry + error handling) and pure planning functions."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CloudFront's fixed hosted zone id for alias targets (the same in every partition's commercial regions).
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"

RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=["PriorRequestNotComplete"])


class AnsibleRoute53Error(AnsibleAWSError):
    pass


class Route53ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRoute53Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchHostedZone")


def fqdn(name):
    """Route 53 names are absolute and lower case, with the trailing dot."""
    name = str(name).strip().lower()
    return name if name.endswith(".") else name + "."


def _key(record):
    return (fqdn(record["Name"]), record["Type"], record.get("SetIdentifier"))


def desired_record_set(record):
    """The Route 53 ResourceRecordSet for one module `records` entry (already validated)."""
    rrset = {"Name": fqdn(record["name"]), "Type": record["type"]}
    alias = record.get("alias")
    if alias:
        rrset["AliasTarget"] = {
            "HostedZoneId": alias["hosted_zone_id"],
            "DNSName": fqdn(alias["dns_name"]),
            "EvaluateTargetHealth": bool(alias.get("evaluate_target_health", False)),
        }
    else:
        rrset["TTL"] = int(record.get("ttl") or 300)
        rrset["ResourceRecords"] = [{"Value": str(v)} for v in record.get("values") or []]
    return rrset


def _normalise(rrset):
    """The fields we manage, in a comparable form (Route 53 may lower-case and reorder values)."""
    out = {"Name": fqdn(rrset["Name"]), "Type": rrset["Type"]}
    if rrset.get("AliasTarget"):
        target = rrset["AliasTarget"]
        out["AliasTarget"] = {
            "HostedZoneId": target["HostedZoneId"],
            "DNSName": fqdn(target["DNSName"]),
            "EvaluateTargetHealth": bool(target.get("EvaluateTargetHealth", False)),
        }
    else:
        out["TTL"] = int(rrset.get("TTL", 0))
        out["ResourceRecords"] = sorted(str(r["Value"]) for r in rrset.get("ResourceRecords", []))
    return out


def plan_changes(desired, current, state="present"):
    """Route 53 change batch entries that bring `current` record sets to `desired`.

    desired: list of ResourceRecordSet dicts we manage; current: the zone's record sets (any).
    state=present: UPSERT each desired set that is missing or differs; state=absent: DELETE each
    desired (name, type) that exists, using its current value as Route 53 requires.
    Record sets not named in `desired` are never touched.
    """
    by_key = {_key(r): r for r in current}
    changes = []
    for rrset in desired:
        existing = by_key.get(_key(rrset))
        if state == "absent":
            if existing is not None:
                changes.append({"Action": "DELETE", "ResourceRecordSet": existing})
        elif existing is None or _normalise(existing) != _normalise(rrset):
            changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    return changes


def records_by_names(current, names):
    wanted = {fqdn(n) for n in names}
    return [r for r in current if fqdn(r["Name"]) in wanted]


@Route53ErrorHandler.list_error_handler("list resource record sets", [])
@RETRY
def list_record_sets(client, zone_id, names=None):
    """The zone's record sets; when `names` is given, only those (one short listing per name)."""
    if names:
        found = []
        for name in sorted({fqdn(n) for n in names}):
            resp = client.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, MaxItems="20")
            found.extend(r for r in resp["ResourceRecordSets"] if fqdn(r["Name"]) == name)
        return found
    paginator = client.get_paginator("list_resource_record_sets")
    return paginator.paginate(HostedZoneId=zone_id).build_full_result()["ResourceRecordSets"]


@Route53ErrorHandler.common_error_handler("change resource record sets")
@RETRY
def change_record_sets(client, zone_id, changes, comment="illustra.webstack"):
    resp = client.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": changes}
    )
    return resp["ChangeInfo"]


@Route53ErrorHandler.common_error_handler("wait for the record change to reach every Route 53 server")
def wait_for_change(client, change_id, timeout=300):
    client.get_waiter("resource_record_sets_changed").wait(
        Id=change_id, WaiterConfig={"Delay": 5, "MaxAttempts": max(1, timeout // 5)}
    )


@Route53ErrorHandler.list_error_handler("get hosted zone")
@RETRY
def get_hosted_zone(client, zone_id):
    """GetHostedZone (the zone, its delegation set's name servers); None when there is no such zone."""
    return client.get_hosted_zone(Id=zone_id.split("/")[-1])


# --- hosted zones (route53_hosted_zone) ---------------------------------------------------------------

# Tags that mark a zone this collection created; only such a zone is changed or deleted.
OWNERSHIP_TAG_KEYS = ("ManagedBy", "Project", "Environment")
# Prefix of the CallerReference of a zone this collection creates: a zone created by a run that stopped
# before tagging it is still recognised as ours (CreateHostedZone takes no tags).
CALLER_REFERENCE_PREFIX = "illustra.webstack-"


def owns(zone, zone_tags, tags):
    """Whether the collection created this zone: it carries our ownership tags (as `tags` gives them),
    or it has no tags at all and our CallerReference (created by a run that stopped before tagging)."""
    wanted = {k: tags[k] for k in OWNERSHIP_TAG_KEYS if k in tags}
    if wanted and all(zone_tags.get(k) == v for k, v in wanted.items()):
        return True
    return not zone_tags and str(zone.get("CallerReference", "")).startswith(CALLER_REFERENCE_PREFIX)


def pick_zone(zones, tags_by_id, tags):
    """The public zone to use among those of the name: ours when there is one, else the first (the user's).

    Returns (zone, owned); (None, False) when there is none.
    """
    public = [z for z in zones if not (z.get("Config") or {}).get("PrivateZone")]
    for zone in public:
        if owns(zone, tags_by_id.get(zone_id(zone), {}), tags):
            return zone, True
    return (public[0], False) if public else (None, False)


def zone_id(zone):
    return zone["Id"].split("/")[-1]


def within_zone(name, zone_name):
    """Whether `name` is the zone's name or a name inside it."""
    name, zone_name = fqdn(name), fqdn(zone_name)
    return name == zone_name or name.endswith("." + zone_name)


def leftover_records(record_sets, zone_name):
    """The zone's record sets other than its own apex NS and SOA (Route 53 refuses to delete the zone then)."""
    apex = fqdn(zone_name)
    return [r for r in record_sets if not (fqdn(r["Name"]) == apex and r["Type"] in ("NS", "SOA"))]


@Route53ErrorHandler.list_error_handler("list hosted zones by name", [])
@RETRY
def list_zones_named(client, name):
    """The hosted zones (public and private) named exactly `name`."""
    wanted = fqdn(name)
    found, marker = [], {}
    while True:
        resp = client.list_hosted_zones_by_name(DNSName=wanted, MaxItems="100", **marker)
        zones = resp.get("HostedZones", [])
        found.extend(z for z in zones if fqdn(z["Name"]) == wanted)
        if not resp.get("IsTruncated") or fqdn(resp.get("NextDNSName") or ".") != wanted:
            return found
        marker = {"HostedZoneId": resp["NextHostedZoneId"]}


@Route53ErrorHandler.list_error_handler("list hosted zone tags", {})
@RETRY
def zone_tags(client, zone_ids):
    """Tags by zone id (ListTagsForResources takes ten ids at a time)."""
    found = {}
    ids = list(zone_ids)
    for start in range(0, len(ids), 10):
        resp = client.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=ids[start : start + 10])
        for tag_set in resp.get("ResourceTagSets", []):
            found[tag_set["ResourceId"]] = {t["Key"]: t.get("Value", "") for t in tag_set.get("Tags", [])}
    return found


@Route53ErrorHandler.common_error_handler("create hosted zone")
@RETRY
def create_zone(client, name, comment, caller_reference):
    return client.create_hosted_zone(
        Name=fqdn(name),
        CallerReference=caller_reference,
        HostedZoneConfig={"Comment": comment or "", "PrivateZone": False},
    )


@Route53ErrorHandler.common_error_handler("tag hosted zone")
@RETRY
def change_zone_tags(client, zone, add, remove):
    kwargs = {}
    if add:
        kwargs["AddTags"] = [{"Key": k, "Value": v} for k, v in sorted(add.items())]
    if remove:
        kwargs["RemoveTagKeys"] = sorted(remove)
    client.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone, **kwargs)


@Route53ErrorHandler.deletion_error_handler("delete hosted zone")
@RETRY
def delete_zone(client, zone):
    client.delete_hosted_zone(Id=zone)
    return True
