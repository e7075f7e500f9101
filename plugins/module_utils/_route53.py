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
