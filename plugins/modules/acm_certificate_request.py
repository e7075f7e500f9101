#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: acm_certificate_request
short_description: Request a DNS-validated ACM certificate, publish its validation records, wait until issued
version_added: 0.1.0
description:
  - Finds the certificate by O(domain_name), its names and the C(Name) tag O(name); requests it when missing
    (DNS validation, certificate transparency logging on), writes the DNS validation CNAMEs into the
    Route 53 hosted zone O(validation_zone_id), and waits until ACM has issued it.
  - Before waiting, it asks DNS whether the validation zone is delegated (the NS records of the zone's name
    against the zone's name servers) and, when it is not, fails at once naming the name servers to set at the
    registrar (ACM reads the records from public DNS, so without the delegation it would wait in vain).
  - With O(state=absent) it waits (within O(wait_timeout)) until ACM releases a certificate whose users are
    gone, deletes it, then deletes its validation records (those another certificate of the region needs too
    are kept). It fails at once while a resource named in C(InUseBy) still uses it.
  - Certificates for CloudFront must be requested in C(us-east-1); set O(region) per call.
  - M(community.aws.acm_certificate) only imports certificates; this module requests them.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Value of the C(Name) tag that identifies the certificate.
    type: str
    required: true
  domain_name:
    description: The certificate's primary name, for example the apex domain.
    type: str
    required: true
  subject_alternative_names:
    description: Further names, for example the wildcard C(*.example.com).
    type: list
    elements: str
    default: []
  validation_zone_id:
    description:
      - Route 53 hosted zone in which to create (or, with O(state=absent), delete) the DNS validation records.
      - When omitted the records are only returned, for the caller to publish.
    type: str
  wait:
    description: Wait until the certificate is C(ISSUED).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for validation records and for issuance.
      - With O(state=absent), seconds to wait for ACM to release the certificate after its users are gone.
    type: int
    default: 900
  delegation_check:
    description:
      - Before waiting for issuance, ask DNS for the NS records of the validation zone's name and fail, with the
        name servers to set at the registrar, unless they are the zone's own.
      - Set V(false) when this machine cannot reach public DNS and you know the delegation is in place.
    type: bool
    default: true
  resolvers:
    description:
      - DNS resolvers the delegation check asks, as V(address) or V(address:port) (V([address]:port) for IPv6).
      - Empty means the system's resolvers (C(/etc/resolv.conf)).
      - When not set, the environment variable E(WEBSTACK_DNS_RESOLVERS) (comma-separated) is used.
    type: list
    elements: str
  tags:
    description: Tags of the certificate (the C(Name) tag is added from O(name)).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  state:
    description: C(present) or C(absent).
    type: str
    default: present
    choices: [present, absent]
requirements:
  - dnspython (for the delegation check)
attributes:
  check_mode:
    description: Reads the current state and reports what would change without changing anything.
    support: full
  diff_mode:
    description: Returns the managed settings before and after the change.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the CloudFront certificate for the apex and its wildcard
  illustra.webstack.acm_certificate_request:
    region: us-east-1
    name: illustra-prod-edge
    domain_name: example.com
    subject_alternative_names: ["*.example.com"]
    validation_zone_id: Z0123456789ABC
    tags:
      Project: illustra
"""

RETURN = r"""
certificate:
  description: The certificate.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the certificate; null in check mode when it would be requested.
      type: str
    status:
      description: ACM status (C(ISSUED), C(PENDING_VALIDATION)...).
      type: str
    domain_name:
      description: Primary name.
      type: str
    subject_alternative_names:
      description: Every name on the certificate.
      type: list
      elements: str
    validation_records:
      description: The DNS validation CNAMEs.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
"""

import uuid

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _acm as acm
from ansible_collections.illustra.webstack.plugins.module_utils import _dns_delegation as delegation
from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


def find_certificate(client, params):
    for summary in acm.list_certificates(client):
        if summary.get("DomainName") != params["domain_name"]:
            continue
        tags = get_tags(client, summary["CertificateArn"])
        if acm.matches(summary, tags, params["domain_name"], params["subject_alternative_names"], params["name"]):
            return summary["CertificateArn"], tags
    return None, {}


def describe(arn, certificate, tags):
    if not certificate:
        return {}
    return dict(
        arn=arn,
        status=certificate.get("Status"),
        domain_name=certificate.get("DomainName"),
        subject_alternative_names=certificate.get("SubjectAlternativeNames", []),
        validation_records=camel_dict_to_snake_dict({"r": acm.validation_records(certificate)})["r"],
        in_use_by=certificate.get("InUseBy", []),
        tags=tags,
    )


def validation_zone_id(module):
    return (module.params["validation_zone_id"] or "").split("/")[-1]


def ensure_validation_records(module, certificate, state, keep=frozenset()):
    zone_id = validation_zone_id(module)
    if not zone_id or not certificate:
        return False
    desired = [r for r in acm.validation_records(certificate) if r["Name"] not in keep]
    if not desired:
        return False
    route53 = module.client("route53")
    current = r53.list_record_sets(route53, zone_id, names=[r["Name"] for r in desired])
    changes = r53.plan_changes(desired, current, state)
    if changes and not module.check_mode:
        r53.change_record_sets(route53, zone_id, changes, comment="ACM DNS validation")
    return bool(changes)


def check_delegation(module, resolvers):
    """Fail, naming the name servers to set, unless DNS points the validation zone's name at the zone."""
    zone = r53.get_hosted_zone(module.client("route53"), validation_zone_id(module))
    if zone is None:
        module.fail_json(msg=f"validation_zone_id {module.params['validation_zone_id']}: no such hosted zone.")
    name, zone_id = zone["HostedZone"]["Name"], zone["HostedZone"]["Id"].split("/")[-1]
    zone_name_servers = (zone.get("DelegationSet") or {}).get("NameServers") or []
    answered_by = ", ".join(module.params["resolvers"] or []) or "the system's resolvers"
    try:
        answer = delegation.public_name_servers(name, resolvers)
    except delegation.DelegationLookupError as e:
        module.fail_json(
            msg=f"Could not ask DNS ({answered_by}) whether {name} is delegated to hosted zone {zone_id}: {e}. "
            "Point resolvers at a resolver that answers, or set delegation_check=false if you know the delegation "
            "is in place.",
        )
    if not delegation.is_delegated(zone_name_servers, answer[0]):
        module.fail_json(
            msg=delegation.instruction(name, zone_id, zone_name_servers, answer, answered_by),
            name_servers=[delegation.normalise(n) for n in zone_name_servers],
            public_name_servers=answer[0],
        )


def ensure_present(module, client, resolvers):
    params = module.params
    tags = dict(params["tags"] or {}, Name=params["name"])
    names = acm.wanted_names(params["domain_name"], params["subject_alternative_names"])
    arn, current_tags = find_certificate(client, params)
    changed, created, old_tags = False, False, dict(current_tags)
    if arn is None:
        if module.check_mode:
            planned = dict(arn=None, status="PENDING_VALIDATION", domain_name=params["domain_name"])
            planned.update(subject_alternative_names=names, validation_records=[], tags=tags)
            return True, {}, planned
        token = uuid.uuid4().hex[:32]
        arn = acm.request_certificate(client, params["domain_name"], params["subject_alternative_names"], tags, token)
        current_tags, changed, created = tags, True, True
    else:
        to_add, to_remove = compare_aws_tags(current_tags, tags, purge_tags=params["purge_tags"])
        if to_add or to_remove:
            changed = True
            if not module.check_mode:
                if to_remove:
                    acm.remove_tags(client, arn, to_remove)
                if to_add:
                    acm.add_tags(client, arn, to_add)
            current_tags = dict((k, v) for k, v in current_tags.items() if k not in to_remove)
            current_tags.update(to_add)
    certificate = acm.wait_for_records(client, arn, names, timeout=params["wait_timeout"])
    changed |= ensure_validation_records(module, certificate, "present")
    # The status read before the records were written decides: ACM never validates at once.
    if params["wait"] and certificate.get("Status") != "ISSUED" and not module.check_mode:
        if params["delegation_check"] and validation_zone_id(module):
            check_delegation(module, resolvers)
        acm.wait_issued(client, arn, params["wait_timeout"])
        certificate = acm.describe_certificate(client, arn)
    after = describe(arn, certificate, current_tags)
    before = {} if created else dict(after, tags=old_tags)
    return changed, before, after


def ensure_absent(module, client):
    params = module.params
    arn, tags = find_certificate(client, params)
    if arn is None:
        return False, {}, {}
    certificate = acm.describe_certificate(client, arn)
    before = describe(arn, certificate, tags)
    if module.check_mode:
        # What uses the certificate now is removed by earlier tasks of the same run.
        ensure_validation_records(module, certificate, "absent")
        return True, before, {}
    holding = acm.users_still_holding(
        arn,
        (certificate or {}).get("InUseBy") or [],
        module.client("cloudfront"),
        lambda region: module.client("elbv2", region=region),
    )
    if holding:
        module.fail_json(
            msg=f"Certificate {arn} is still in use by {holding}: delete those resources, or give them another "
            "certificate, before state=absent.",
        )
    acm.delete_when_released(client, arn, params["wait_timeout"])
    names = acm.wanted_names(params["domain_name"], params["subject_alternative_names"])
    ensure_validation_records(module, certificate, "absent", keep=acm.validation_records_shared(client, arn, names))
    return True, before, {}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        domain_name=dict(type="str", required=True),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        validation_zone_id=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        delegation_check=dict(type="bool", default=True),
        resolvers=dict(type="list", elements="str", fallback=(env_fallback, ["WEBSTACK_DNS_RESOLVERS"])),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        resolvers = delegation.parse_resolvers(module.params["resolvers"])
    except ValueError as e:
        module.fail_json(msg=f"resolvers: {e}; give an IP address, optionally with :port.")
    params = module.params
    if params["state"] == "present" and params["wait"] and params["delegation_check"] and not delegation.HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython") + " (or set delegation_check=false)")
    client = module.client("acm")
    try:
        if params["state"] == "present":
            changed, before, after = ensure_present(module, client, resolvers)
        else:
            changed, before, after = ensure_absent(module, client)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(changed=changed, certificate=after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
