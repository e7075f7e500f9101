"""The bucket policy helpers that s3_frontend_bucket and cloudfront_web_distribution share.

Two canonicalisations had drifted apart: cloudfront_web_distribution compared statements as written (a
one-item list differed from a string), s3_frontend_bucket flattened one-item lists; neither knew that
"*" and {"AWS": "*"} are the same principal. Both now use amazon.aws's compare_policies.
"""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _bucket_policy as bp
from botocore.stub import Stubber

OURS = {
    "Sid": "Ours",
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
}
THEIRS = {"Sid": "Theirs", "Effect": "Deny", "Principal": "*", "Action": "s3:*"}


def policy(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def test_merge_sets_ours_by_sid_and_keeps_the_others():
    stale = dict(OURS, Action="s3:ListBucket")
    merged = bp.merged_policy(policy(THEIRS, stale), [OURS])
    assert merged == policy(THEIRS, OURS)


def test_merge_removes_named_sids_and_reads_a_lone_statement():
    assert bp.merged_policy({"Version": "2008-10-17", "Statement": OURS}, [], remove_sids=["Ours"]) == policy(
        version="2008-10-17"
    )


def test_merge_into_no_policy():
    assert bp.merged_policy(None, [OURS]) == policy(OURS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (policy(OURS, THEIRS), policy(THEIRS, OURS)),  # statement order
        (policy(OURS), policy(dict(OURS, Action=["s3:GetObject"]))),  # one-item list and string
        (policy(THEIRS), policy(dict(THEIRS, Principal={"AWS": "*"}))),  # anonymous principal, two spellings
        (policy(dict(OURS, Resource=["arn:b", "arn:a"])), policy(dict(OURS, Resource=["arn:a", "arn:b"]))),
        (None, policy()),  # no policy and no statements
    ],
)
def test_equal_policies(a, b):
    assert bp.policy_equal(a, b)
    assert bp.policy_equal(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (policy(OURS), policy(dict(OURS, Action="s3:ListBucket"))),
        (policy(OURS), policy(OURS, THEIRS)),
        (None, policy(OURS)),
        (policy(OURS), policy(OURS, version="2008-10-17")),  # another policy language version
    ],
)
def test_different_policies(a, b):
    assert not bp.policy_equal(a, b)
    assert not bp.policy_equal(b, a)


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["NoSuchBucketPolicy", "NoSuchBucket"])
def test_no_policy_reads_as_none(s3, code):
    client, stub = s3
    stub.add_client_error("get_bucket_policy", code, http_status_code=404, expected_params={"Bucket": "b"})
    assert bp.get_policy(client, "b") is None


def test_put_retries_s3_throttling_then_surfaces_denied(s3):
    """SlowDown is S3's throttling: the copy that cloudfront_web_distribution had did not retry it."""
    client, stub = s3
    body = '{"Version": "2012-10-17", "Statement": []}'
    stub.add_client_error("put_bucket_policy", "SlowDown", http_status_code=503)
    stub.add_client_error("put_bucket_policy", "OperationAborted", http_status_code=409)
    stub.add_response("put_bucket_policy", {}, {"Bucket": "b", "Policy": body})
    bp.put_policy(client, "b", policy())
    stub.add_client_error("put_bucket_policy", "AccessDenied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="put bucket policy"):
        bp.put_policy(client, "b", policy())


def test_delete_on_a_bucket_already_gone_is_no_error(s3):
    client, stub = s3
    stub.add_response("delete_bucket_policy", {}, {"Bucket": "b"})
    assert bp.delete_policy(client, "b") is True
    stub.add_client_error("delete_bucket_policy", "NoSuchBucket", http_status_code=404)
    assert bp.delete_policy(client, "b") is False
