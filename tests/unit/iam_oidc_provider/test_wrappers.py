"""iam_oidc_provider: the API wrappers with botocore's Stubber (request shape, retries, errors).

moto lacks AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider, so the
client id calls are covered here.
"""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _iam_oidc as oidc
from ansible_collections.illustra.webstack.plugins.modules import iam_oidc_provider as mod
from botocore.stub import Stubber

URL = "https://token.actions.githubusercontent.com"
ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
OTHER = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
TP1 = "6938fd4d98bab03faadb97b34396831e3780aea1"
TP2 = "1c58a3a8518e8759bf075b76b750d4f2df264fcd"


@pytest.fixture
def client():
    c = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        c.stub = stub
        yield c
        stub.assert_no_pending_responses()


def _get_response(client_ids=("sts.amazonaws.com",), thumbprints=(TP1,), tags=(("Project", "illustra"),)):
    return {
        "Url": "token.actions.githubusercontent.com",
        "ClientIDList": list(client_ids),
        "ThumbprintList": list(thumbprints),
        "Tags": [{"Key": k, "Value": v} for k, v in tags],
    }


def test_find_lists_then_reads_only_the_matching_provider(client):
    client.stub.add_response(
        "list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": OTHER}, {"Arn": ARN}]}, {}
    )
    client.stub.add_response("get_open_id_connect_provider", _get_response(), {"OpenIDConnectProviderArn": ARN})
    found = mod.find_provider(client, URL)
    assert found["arn"] == ARN and found["client_ids"] == ["sts.amazonaws.com"]
    assert found["tags"] == {"Project": "illustra"}


def test_find_missing_provider_is_empty(client):
    client.stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": OTHER}]}, {})
    assert mod.find_provider(client, URL) == {}


def test_provider_deleted_between_list_and_get_reads_as_missing(client):
    client.stub.add_client_error("get_open_id_connect_provider", "NoSuchEntity", "gone", http_status_code=404)
    assert mod.get_provider(client, ARN) is None


def test_throttling_is_retried(client):
    client.stub.add_client_error("list_open_id_connect_providers", "Throttling", "Rate exceeded", http_status_code=400)
    client.stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": ARN}]}, {})
    assert mod.list_provider_arns(client) == [ARN]


def test_other_errors_surface(client):
    client.stub.add_client_error("list_open_id_connect_providers", "AccessDenied", "not allowed", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="Failed to list the OIDC providers"):
        mod.list_provider_arns(client)


def test_create_request_shape(client):
    client.stub.add_response(
        "create_open_id_connect_provider",
        {"OpenIDConnectProviderArn": ARN},
        {
            "Url": URL,
            "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": [TP1],
            "Tags": [{"Key": "Project", "Value": "illustra"}],
        },
    )
    actions = oidc.plan({}, URL, ["sts.amazonaws.com"], [TP1], {"Project": "illustra"})
    assert mod.apply_actions(client, None, actions) == ARN


def test_create_without_thumbprints_or_tags_omits_them(client):
    client.stub.add_response(
        "create_open_id_connect_provider", {"OpenIDConnectProviderArn": ARN}, {"Url": URL, "ClientIDList": []}
    )
    assert mod.apply_actions(client, None, oidc.plan({}, URL)) == ARN


def test_update_request_shapes(client):
    current = oidc.describe(ARN, _get_response(client_ids=["old"], tags=[("Project", "illustra"), ("Stale", "1")]))
    actions = oidc.plan(current, URL, ["sts.amazonaws.com"], [TP2], {"Project": "illustra", "Environment": "dev"})
    arn = {"OpenIDConnectProviderArn": ARN}
    client.stub.add_response("update_open_id_connect_provider_thumbprint", {}, dict(arn, ThumbprintList=[TP2]))
    client.stub.add_response("add_client_id_to_open_id_connect_provider", {}, dict(arn, ClientID="sts.amazonaws.com"))
    client.stub.add_response("remove_client_id_from_open_id_connect_provider", {}, dict(arn, ClientID="old"))
    client.stub.add_response(
        "tag_open_id_connect_provider", {}, dict(arn, Tags=[{"Key": "Environment", "Value": "dev"}])
    )
    client.stub.add_response("untag_open_id_connect_provider", {}, dict(arn, TagKeys=["Stale"]))
    assert mod.apply_actions(client, ARN, actions) == ARN


def test_failed_update_surfaces_with_its_description(client):
    client.stub.add_client_error(
        "add_client_id_to_open_id_connect_provider", "LimitExceeded", "too many client ids", http_status_code=409
    )
    with pytest.raises(AnsibleAWSError, match="Failed to add a client id to the OIDC provider"):
        mod.apply_actions(client, ARN, [("add_client_id", "x")])


def test_delete_of_a_vanished_provider_is_not_an_error(client):
    client.stub.add_client_error("delete_open_id_connect_provider", "NoSuchEntity", "gone", http_status_code=404)
    mod.apply_actions(client, ARN, [("delete", None)])
