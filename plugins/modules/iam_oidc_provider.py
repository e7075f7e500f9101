#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: iam_oidc_provider
short_description: Manage an IAM OpenID Connect identity provider
version_added: 0.1.0
description:
  - Creates, updates or deletes an IAM OpenID Connect (OIDC) identity provider, such as the one
    GitHub Actions or GitLab CI use to assume an IAM role without stored keys.
  - The provider is found by its URL (IAM allows one provider per URL in an account).
  - An existing provider is updated in place; its thumbprints are replaced with one call, client ids
    (audiences) are added and removed one by one, and tags are set and removed.
author:
  - illustra.webstack developers (@illustra)
options:
  url:
    description:
      - The issuer URL of the identity provider, starting with V(https://), for example
        V(https://token.actions.githubusercontent.com).
    type: str
    required: true
  state:
    description: Whether the provider exists.
    type: str
    choices: [present, absent]
    default: present
  client_ids:
    description:
      - The client ids (audiences) the provider accepts, for example V(sts.amazonaws.com) for GitHub
        Actions. The provider ends up with exactly these.
      - When omitted, the client ids of an existing provider are left as they are (a new provider gets none).
    type: list
    elements: str
  thumbprints:
    description:
      - SHA-1 thumbprints (40 hex characters, at most 5) of the certificate of the issuer's TLS
        endpoint. The provider ends up with exactly these (compared case-insensitively).
      - When omitted, the thumbprints of an existing provider are left as they are, and a new provider
        is created without any (IAM then relies on its own library of trusted root CAs, which covers
        the well-known issuers).
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows the provider's URL, client ids, thumbprints and tags before and after.
notes:
  - IAM is global; O(region) only selects the endpoint.
"""

EXAMPLES = r"""
- name: Register GitHub Actions as an identity provider
  illustra.webstack.iam_oidc_provider:
    url: https://token.actions.githubusercontent.com
    client_ids: [sts.amazonaws.com]
    thumbprints: [6938fd4d98bab03faadb97b34396831e3780aea1]
    tags:
      Project: illustra
      ManagedBy: illustra.webstack
  register: oidc

- name: Remove the provider
  illustra.webstack.iam_oidc_provider:
    url: https://token.actions.githubusercontent.com
    state: absent
"""

RETURN = r"""
oidc_provider:
  description: The provider after the run (empty when absent).
  returned: always
  type: dict
  contains:
    arn:
      description: The provider's ARN (null in check mode when it would be created).
      type: str
      sample: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com
    url:
      description: The issuer URL.
      type: str
      sample: https://token.actions.githubusercontent.com
    client_ids:
      description: The client ids (audiences), sorted.
      type: list
      elements: str
      sample: [sts.amazonaws.com]
    thumbprints:
      description: The thumbprints in lower case, sorted.
      type: list
      elements: str
      sample: [6938fd4d98bab03faadb97b34396831e3780aea1]
    tags:
      description: The provider's tags.
      type: dict
      sample: {"Project": "illustra"}
actions:
  description: The changes made (or that would be made in check mode).
  returned: always
  type: list
  elements: str
  sample: ["update_thumbprints", "add_client_id sts.amazonaws.com", "tag Environment"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import apply_plan
from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import arn_matches
from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import describe
from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import label
from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import plan
from ansible_collections.illustra.webstack.plugins.module_utils._iam_oidc import validate


class OIDCErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchEntity")


# IAM throttles with "Throttling"; AWSRetry already retries it and the other throttling codes.
_retry = AWSRetry.jittered_backoff(retries=8)


@OIDCErrorHandler.common_error_handler("list the OIDC providers")
def list_provider_arns(client):
    return [p["Arn"] for p in _retry(client.list_open_id_connect_providers)().get("OpenIDConnectProviderList", [])]


@OIDCErrorHandler.list_error_handler("read the OIDC provider")
def get_provider(client, arn):
    return _retry(client.get_open_id_connect_provider)(OpenIDConnectProviderArn=arn)


@OIDCErrorHandler.common_error_handler("create the OIDC provider")
def create_provider(client, url, client_ids, thumbprints, tags):
    kwargs = dict(Url=url, ClientIDList=client_ids)
    if thumbprints:
        kwargs["ThumbprintList"] = thumbprints
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return _retry(client.create_open_id_connect_provider)(**kwargs)["OpenIDConnectProviderArn"]


@OIDCErrorHandler.common_error_handler("update the OIDC provider's thumbprints")
def update_thumbprints(client, arn, thumbprints):
    _retry(client.update_open_id_connect_provider_thumbprint)(OpenIDConnectProviderArn=arn, ThumbprintList=thumbprints)


@OIDCErrorHandler.common_error_handler("add a client id to the OIDC provider")
def add_client_id(client, arn, client_id):
    _retry(client.add_client_id_to_open_id_connect_provider)(OpenIDConnectProviderArn=arn, ClientID=client_id)


@OIDCErrorHandler.common_error_handler("remove a client id from the OIDC provider")
def remove_client_id(client, arn, client_id):
    _retry(client.remove_client_id_from_open_id_connect_provider)(OpenIDConnectProviderArn=arn, ClientID=client_id)


@OIDCErrorHandler.common_error_handler("tag the OIDC provider")
def tag_provider(client, arn, tags):
    _retry(client.tag_open_id_connect_provider)(OpenIDConnectProviderArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@OIDCErrorHandler.common_error_handler("untag the OIDC provider")
def untag_provider(client, arn, keys):
    _retry(client.untag_open_id_connect_provider)(OpenIDConnectProviderArn=arn, TagKeys=keys)


@OIDCErrorHandler.deletion_error_handler("delete the OIDC provider")
def delete_provider(client, arn):
    _retry(client.delete_open_id_connect_provider)(OpenIDConnectProviderArn=arn)


def find_provider(client, url):
    """The provider of this URL as describe() returns it, or {} (one list call, one get call)."""
    for arn in list_provider_arns(client):
        if arn_matches(arn, url):
            return describe(arn, get_provider(client, arn))
    return {}


def apply_actions(client, arn, actions):
    """Make the planned calls; returns the ARN (the new one after a create)."""
    for action, arg in actions:
        if action == "create":
            arn = create_provider(client, arg["url"], arg["client_ids"], arg["thumbprints"], arg["tags"])
        elif action == "update_thumbprints":
            update_thumbprints(client, arn, arg)
        elif action == "add_client_id":
            add_client_id(client, arn, arg)
        elif action == "remove_client_id":
            remove_client_id(client, arn, arg)
        elif action == "tag":
            tag_provider(client, arn, arg)
        elif action == "untag":
            untag_provider(client, arn, arg)
        elif action == "delete":
            delete_provider(client, arn)
    return arn


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            client_ids=dict(type="list", elements="str"),
            thumbprints=dict(type="list", elements="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    errors = validate(p["url"], p["thumbprints"], p["client_ids"])
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("iam")
    try:
        current = find_provider(client, p["url"])
        if p["state"] == "present":
            actions = plan(current, p["url"], p["client_ids"], p["thumbprints"], p["tags"], p["purge_tags"])
        else:
            actions = [("delete", None)] if current else []
        after = apply_plan(current, actions, arn=current.get("arn"))
        if actions and not module.check_mode:
            arn = apply_actions(client, current.get("arn"), actions)
            if p["state"] == "present":
                # Read back by ARN (a new provider may not be listed yet: IAM is eventually consistent).
                after = describe(arn, get_provider(client, arn)) or apply_plan(current, actions, arn=arn)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=bool(actions), oidc_provider=after, actions=[label(a, arg) for a, arg in actions])
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
