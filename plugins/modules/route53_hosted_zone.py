#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_hosted_zone
short_description: Find or create a public Route 53 hosted zone; change or delete only one this collection created
version_added: 0.1.0
description:
  - Finds the public hosted zone named O(name), or uses O(hosted_zone_id), or creates the zone with O(tags) when
    there is none. Returns its id and name servers (what to set at the registrar when it was just created).
  - A zone is the collection's own when it carries the C(ManagedBy), C(Project) and C(Environment) tags of O(tags)
    (or no tags and the CallerReference this module gives, when a run stopped between creating and tagging it).
    Only such a zone has its tags converged, and only such a zone is deleted with O(state=absent). A zone the user
    brought (O(hosted_zone_id), or one that already existed under the name) is used as it is and never changed.
  - With O(state=absent) the zone must be empty of records other than its own NS and SOA; the module fails naming
    the records left instead of deleting them (they may be the user's).
  - Unlike M(amazon.aws.route53_zone), it never re-tags (and so never takes over) a zone that already existed, and it
    returns the zone's name servers.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description:
      - The zone's name (the domain). With O(hosted_zone_id), a name inside that zone.
    type: str
    required: true
  hosted_zone_id:
    description:
      - An existing public hosted zone to use as it is (never changed nor deleted).
    type: str
  comment:
    description: Comment of a zone this module creates.
    type: str
    default: ""
  tags:
    description:
      - Tags of a zone this module creates, kept on it. Must carry C(ManagedBy), C(Project) and C(Environment),
        which mark the zones this module may change or delete.
    type: dict
    required: true
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags) from the collection's own zone.
    type: bool
    default: true
  create:
    description:
      - With O(state=present), create the zone when there is none and keep the tags of the collection's own zone.
        V(false) only finds the zone and changes nothing (C(hosted_zone) is empty when there is none), for a caller
        that must not create it, such as a teardown.
    type: bool
    default: true
  state:
    description: C(present) finds or creates the zone; C(absent) deletes it when the collection created it.
    type: str
    default: present
    choices: [present, absent]
attributes:
  check_mode:
    description: Reads the current state and reports what would change without changing anything.
    support: full
  diff_mode:
    description: Returns the zone before and after the change.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find or create the public zone of the domain
  illustra.webstack.route53_hosted_zone:
    name: example.com
    comment: illustra prod public zone
    tags: {Project: illustra, Environment: prod, ManagedBy: illustra.webstack}
  register: zone

- name: Tell the user what to set at the registrar
  ansible.builtin.debug:
    msg: "Set these name servers at your registrar: {{ zone.hosted_zone.name_servers }}"
  when: zone.hosted_zone.created
"""

RETURN = r"""
hosted_zone:
  description: The zone (empty when O(state=absent) found none).
  returned: always
  type: dict
  contains:
    id:
      description: Zone id without the C(/hostedzone/) prefix; null in check mode when it would be created.
      type: str
    name:
      description: Zone name, absolute.
      type: str
    name_servers:
      description: The zone's name servers (its delegation set), to set at the registrar.
      type: list
      elements: str
    owned:
      description: Whether the collection created the zone (only then is it changed or deleted).
      type: bool
    created:
      description: Whether this run created the zone.
      type: bool
    deleted:
      description: Whether this run deleted the zone.
      type: bool
    tags:
      description: The zone's tags.
      type: dict
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _route53 as r53


def result(zone, name_servers, owned, tags, created=False, deleted=False):
    return dict(
        id=r53.zone_id(zone) if zone.get("Id") else None,
        name=r53.fqdn(zone["Name"]),
        name_servers=[r53.fqdn(n) for n in name_servers],
        owned=owned,
        created=created,
        deleted=deleted,
        tags=tags,
    )


def name_servers_of(client, zone):
    described = r53.get_hosted_zone(client, r53.zone_id(zone)) or {}
    return (described.get("DelegationSet") or {}).get("NameServers") or []


def given_zone(module, client):
    """The zone the user named by id: checked, never changed."""
    params = module.params
    described = r53.get_hosted_zone(client, params["hosted_zone_id"])
    if described is None:
        module.fail_json(msg=f"hosted_zone_id {params['hosted_zone_id']}: no such hosted zone.")
    zone = described["HostedZone"]
    if (zone.get("Config") or {}).get("PrivateZone"):
        module.fail_json(msg=f"hosted_zone_id {params['hosted_zone_id']} is a private zone: give a public one.")
    if not r53.within_zone(params["name"], zone["Name"]):
        module.fail_json(
            msg=f"name {params['name']} is not inside hosted zone {zone['Name']} ({params['hosted_zone_id']})."
        )
    tags = r53.zone_tags(client, [r53.zone_id(zone)]).get(r53.zone_id(zone), {})
    name_servers = (described.get("DelegationSet") or {}).get("NameServers") or []
    return result(zone, name_servers, False, tags)


def find_zone(client, params):
    zones = r53.list_zones_named(client, params["name"])
    tags_by_id = r53.zone_tags(
        client, [r53.zone_id(z) for z in zones if not (z.get("Config") or {}).get("PrivateZone")]
    )
    zone, owned = r53.pick_zone(zones, tags_by_id, params["tags"])
    return zone, owned, (tags_by_id.get(r53.zone_id(zone), {}) if zone else {})


def ensure_present(module, client):
    params = module.params
    if params["hosted_zone_id"]:
        found = given_zone(module, client)
        return False, found, found
    zone, owned, tags = find_zone(client, params)
    if zone is None and not params["create"]:
        return False, {}, {}
    if zone is None:
        if module.check_mode:
            return True, {}, result({"Name": params["name"]}, [], True, params["tags"], created=True)
        created = r53.create_zone(
            client, params["name"], params["comment"], r53.CALLER_REFERENCE_PREFIX + uuid.uuid4().hex
        )
        zone = created["HostedZone"]
        r53.change_zone_tags(client, r53.zone_id(zone), params["tags"], [])
        name_servers = created["DelegationSet"]["NameServers"]
        return True, {}, result(zone, name_servers, True, dict(params["tags"]), created=True)
    name_servers = name_servers_of(client, zone)
    before = result(zone, name_servers, owned, tags)
    if not owned or not params["create"]:
        return False, before, before
    to_add, to_remove = compare_aws_tags(tags, params["tags"], purge_tags=params["purge_tags"])
    if (to_add or to_remove) and not module.check_mode:
        r53.change_zone_tags(client, r53.zone_id(zone), to_add, to_remove)
    after_tags = {k: v for k, v in tags.items() if k not in to_remove}
    after_tags.update(to_add)
    return bool(to_add or to_remove), before, result(zone, name_servers, True, after_tags)


def ensure_absent(module, client):
    params = module.params
    if params["hosted_zone_id"]:
        found = given_zone(module, client)
        return False, found, found
    zone, owned, tags = find_zone(client, params)
    if zone is None:
        return False, {}, {}
    before = result(zone, name_servers_of(client, zone), owned, tags)
    if not owned:
        return False, before, before
    left = r53.leftover_records(r53.list_record_sets(client, r53.zone_id(zone)), zone["Name"])
    if left:
        names = sorted({(r53.fqdn(r["Name"]), r["Type"]) for r in left})
        module.fail_json(
            msg=f"Hosted zone {zone['Name']} ({r53.zone_id(zone)}) still holds records {names}: delete them first "
            "(the dns and acm roles remove their own records before the zone).",
        )
    if not module.check_mode:
        r53.delete_zone(client, r53.zone_id(zone))
    return True, before, dict(before, deleted=True)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        hosted_zone_id=dict(type="str"),
        comment=dict(type="str", default=""),
        tags=dict(type="dict", required=True, aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        create=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    missing = [k for k in r53.OWNERSHIP_TAG_KEYS if not module.params["tags"].get(k)]
    if missing:
        module.fail_json(
            msg=f"tags: give {', '.join(missing)}: the ownership tags mark the zones this module created, "
            "the only ones it changes or deletes."
        )
    client = module.client("route53")
    try:
        if module.params["state"] == "present":
            changed, before, after = ensure_present(module, client)
        else:
            changed, before, after = ensure_absent(module, client)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    output = dict(changed=changed, hosted_zone=after)
    if module._diff:
        output["diff"] = dict(before=before, after=after)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
