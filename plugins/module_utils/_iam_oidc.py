# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for IAM OpenID Connect identity providers (no boto3 here).

IAM keys a provider by its URL without the scheme (``token.actions.githubusercontent.com``); the
provider's ARN ends with ``:oidc-provider/<that>``. Client ids (audiences) are case-sensitive
strings; thumbprints are hex SHA-1 digests and compare case-insensitively.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")
MAX_THUMBPRINTS = 5


def provider_key(url):
    """The URL as IAM stores it: no scheme, no trailing slash, host in lower case."""
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url.strip()).rstrip("/")
    host, sep, path = rest.partition("/")
    return host.lower() + sep + path


def arn_matches(arn, url):
    """Whether a provider ARN (from ListOpenIDConnectProviders) belongs to this URL."""
    if ":oidc-provider/" not in arn:
        return False
    return provider_key(arn.split(":oidc-provider/", 1)[1]) == provider_key(url)


def validate(url, thumbprints, client_ids):
    """Error messages for bad input (empty when the input is fine)."""
    errors = []
    if not url.startswith("https://") or not provider_key(url):
        errors.append(f"url must be the issuer's https:// URL (got {url!r})")
    if thumbprints is not None:
        bad = [t for t in thumbprints if not THUMBPRINT.match(t)]
        if bad:
            errors.append("thumbprints must be 40-character hex SHA-1 digests (bad: {})".format(", ".join(bad)))
        if len(set(t.lower() for t in thumbprints)) > MAX_THUMBPRINTS:
            errors.append(f"thumbprints: IAM keeps at most {MAX_THUMBPRINTS} per provider")
    if client_ids is not None and any(not c or len(c) > 255 for c in client_ids):
        errors.append("client_ids must be 1 to 255 characters each")
    return errors


def normalize_thumbprints(thumbprints):
    return sorted(set(t.lower() for t in thumbprints or []))


def describe(arn, provider):
    """The provider as the module returns it, from GetOpenIDConnectProvider's response."""
    if not provider:
        return {}
    url = provider.get("Url", "")
    return dict(
        arn=arn,
        url=url if url.startswith("https://") else "https://" + url,
        client_ids=sorted(set(provider.get("ClientIDList", []))),
        thumbprints=normalize_thumbprints(provider.get("ThumbprintList", [])),
        tags=boto3_tag_list_to_ansible_dict(provider.get("Tags", [])),
    )


def plan(current, url, client_ids=None, thumbprints=None, tags=None, purge_tags=True):
    """Actions that bring ``current`` (a describe() dict, {} when missing) to the wanted state.

    ``None`` for client_ids, thumbprints or tags means "leave as it is" (and nothing on create).
    Returns a list of (action, argument) tuples, in the order they are applied.
    """
    if not current:
        return [
            (
                "create",
                dict(
                    # Created under the normalised URL, so IAM's key is the one find/arn_matches look for.
                    url="https://" + provider_key(url),
                    client_ids=sorted(set(client_ids or [])),
                    thumbprints=normalize_thumbprints(thumbprints),
                    tags=dict(tags or {}),
                ),
            )
        ]
    actions = []
    if thumbprints is not None and normalize_thumbprints(thumbprints) != current["thumbprints"]:
        actions.append(("update_thumbprints", normalize_thumbprints(thumbprints)))
    if client_ids is not None:
        want = set(client_ids)
        have = set(current["client_ids"])
        actions += [("add_client_id", c) for c in sorted(want - have)]
        actions += [("remove_client_id", c) for c in sorted(have - want)]
    if tags is not None:
        to_set, to_unset = compare_aws_tags(current["tags"], tags, purge_tags)
        if to_set:
            actions.append(("tag", to_set))
        if to_unset:
            actions.append(("untag", sorted(to_unset)))
    return actions


def apply_plan(current, actions, arn=None):
    """The provider after ``actions`` (what check mode and --diff report)."""
    after = dict(current or {})
    for action, arg in actions:
        if action == "create":
            after = dict(
                arn=arn,
                url="https://" + provider_key(arg["url"]),
                client_ids=list(arg["client_ids"]),
                thumbprints=list(arg["thumbprints"]),
                tags=dict(arg["tags"]),
            )
        elif action == "update_thumbprints":
            after["thumbprints"] = list(arg)
        elif action == "add_client_id":
            after["client_ids"] = sorted(set(after["client_ids"]) | {arg})
        elif action == "remove_client_id":
            after["client_ids"] = sorted(set(after["client_ids"]) - {arg})
        elif action == "tag":
            after["tags"] = dict(after["tags"], **arg)
        elif action == "untag":
            after["tags"] = dict((k, v) for k, v in after["tags"].items() if k not in arg)
        elif action == "delete":
            after = {}
    return after


def label(action, arg):
    """A short, readable name of an action (the module's ``actions`` return)."""
    if action in ("add_client_id", "remove_client_id"):
        return f"{action} {arg}"
    if action == "untag":
        return "untag " + ",".join(arg)
    if action == "tag":
        return "tag " + ",".join(sorted(arg))
    return action
