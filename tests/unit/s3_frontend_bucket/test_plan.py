"""s3_frontend_bucket: the desired settings per mode and the plan of what differs."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _s3_frontend as s3f
from ansible_collections.illustra.webstack.plugins.modules import s3_frontend_bucket as mod


def params(**over):
    p = {
        "name": "b",
        "mode": "private",
        "encryption": "AES256",
        "kms_key_id": None,
        "block_sse_c": True,
        "versioning": True,
        "noncurrent_version_days": 30,
        "abort_multipart_days": 7,
        "logging_bucket": None,
        "logging_prefix": "",
        "index_document": "index.html",
        "error_document": "index.html",
        "tags": {"Project": "p"},
        "purge_tags": True,
        "policy_statements": [],
    }
    p.update(over)
    return p


@pytest.mark.parametrize(("mode", "lifted"), [("private", False), ("website", True)])
def test_public_access_block(mode, lifted):
    pab = s3f.public_access_block(mode)
    assert pab["BlockPublicAcls"] and pab["IgnorePublicAcls"]
    assert pab["BlockPublicPolicy"] is not lifted and pab["RestrictPublicBuckets"] is not lifted


def test_website_statement_is_get_object_only():
    statements = {s["Sid"]: s for s in s3f.managed_statements("b", "website")}
    assert statements["PublicReadGetObject"]["Action"] == "s3:GetObject"
    assert statements["PublicReadGetObject"]["Resource"] == "arn:aws:s3:::b/*"
    assert "PublicReadGetObject" not in {s["Sid"] for s in s3f.managed_statements("b", "private")}


def test_converged_bucket_plans_nothing_and_keeps_foreign_statements():
    foreign = {"Sid": "AllowCloudFrontOACRead", "Effect": "Allow"}
    p = params()
    current = mod.desired_state(p, {"policy": {"Version": "2012-10-17", "Statement": [foreign]}})
    assert foreign in current["policy"]["Statement"]
    current["versioning"] = "Enabled"
    assert mod.plan(p, current, mod.desired_state(p, current)) == []


def test_plan_detects_each_drift():
    p = params()
    current = mod.desired_state(p, {})
    current.update(
        public_access_block=s3f.public_access_block("website"),
        versioning=None,
        lifecycle=[],
        tags={"Project": "old"},
    )
    changes = mod.plan(p, current, mod.desired_state(p, current))
    assert set(changes) == {"public_access_block", "versioning", "lifecycle", "tags"}


def test_switching_to_private_removes_public_read():
    website = mod.desired_state(params(mode="website"), {})
    private = mod.desired_state(params(), website)
    assert "PublicReadGetObject" not in {s["Sid"] for s in private["policy"]["Statement"]}
    assert private["website"] == {}


@pytest.mark.parametrize(
    ("current", "differs"),
    [
        ([], True),
        ([s3f.lifecycle_rule(30, 7)], False),
        ([dict(s3f.lifecycle_rule(30, 7), Filter={})], False),
        ([s3f.lifecycle_rule(90, 7)], True),
        ([{"ID": "other", "Status": "Enabled"}, s3f.lifecycle_rule(30, 7)], False),
    ],
)
def test_lifecycle_differs(current, differs):
    assert s3f.lifecycle_differs(current, s3f.lifecycle_rule(30, 7)) is differs


def test_lifecycle_rule_expires_current_objects_under_a_prefix_when_asked():
    rule = s3f.lifecycle_rule(30, 1, expiration_days=90, prefix="mongodb/")
    assert rule["Filter"] == {"Prefix": "mongodb/"}
    assert rule["Expiration"] == {"Days": 90}
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert "Expiration" not in s3f.lifecycle_rule(30, 1)  # a website build never expires


@pytest.mark.parametrize(
    ("current", "differs"),
    [
        (s3f.lifecycle_rule(30, 1, 90, "mongodb/"), False),
        (s3f.lifecycle_rule(30, 1, 60, "mongodb/"), True),  # the retention changed
        (s3f.lifecycle_rule(30, 1, None, "mongodb/"), True),  # current objects did not expire
        (s3f.lifecycle_rule(30, 1, 90, ""), True),  # the whole bucket, not the dumps
    ],
)
def test_lifecycle_expiration_and_prefix_are_compared(current, differs):
    assert s3f.lifecycle_differs([current], s3f.lifecycle_rule(30, 1, 90, "mongodb/")) is differs


# What GetBucketEncryption reports for a bucket created since 2026 (SSE-S3, SSE-C blocked by S3 itself).
AWS_NEW_BUCKET_RULE = {
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
    "BucketKeyEnabled": False,
    "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
}


@pytest.mark.parametrize(
    ("current", "differs"),
    [
        ([AWS_NEW_BUCKET_RULE], False),
        ([{k: v for k, v in AWS_NEW_BUCKET_RULE.items() if k != "BucketKeyEnabled"}], False),
        # A bucket created before 2026, or in a region that still allows SSE-C: the block is put once.
        ([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}], True),
        ([dict(AWS_NEW_BUCKET_RULE, BlockedEncryptionTypes={"EncryptionType": ["NONE"]})], True),
        ([dict(AWS_NEW_BUCKET_RULE, ApplyServerSideEncryptionByDefault={"SSEAlgorithm": "aws:kms"})], True),
        ([], True),
    ],
)
def test_encryption_reported_by_s3_is_not_drift(current, differs):
    p = params()
    desired = mod.desired_state(p, {})["encryption"]
    assert s3f.encryption_differs(current, desired) is differs
    state = dict(mod.desired_state(p, {}), encryption=current, versioning="Enabled")
    assert ("encryption" in mod.plan(p, state, mod.desired_state(p, state))) is differs


def test_kms_key_and_sse_c_opt_out_are_compared():
    kms = s3f.encryption_rules("aws:kms", "arn:aws:kms:us-east-1:111122223333:key/k")
    assert kms[0]["BucketKeyEnabled"] is True
    assert s3f.encryption_differs(kms, s3f.encryption_rules("aws:kms", "arn:aws:kms:us-east-1:111122223333:key/other"))
    allowed = s3f.encryption_rules("AES256", None, block_sse_c=False)
    assert allowed[0]["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}
    assert not s3f.encryption_differs([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}], allowed)


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("us-east-1", "b.s3-website-us-east-1.amazonaws.com"),
        ("us-west-2", "b.s3-website-us-west-2.amazonaws.com"),
        ("eu-west-1", "b.s3-website-eu-west-1.amazonaws.com"),
        ("ap-southeast-2", "b.s3-website-ap-southeast-2.amazonaws.com"),
        ("sa-east-1", "b.s3-website-sa-east-1.amazonaws.com"),
        ("us-gov-west-1", "b.s3-website-us-gov-west-1.amazonaws.com"),
        ("us-east-2", "b.s3-website.us-east-2.amazonaws.com"),
        ("eu-central-1", "b.s3-website.eu-central-1.amazonaws.com"),
        ("eu-west-2", "b.s3-website.eu-west-2.amazonaws.com"),
        ("ap-south-1", "b.s3-website.ap-south-1.amazonaws.com"),
        ("ca-central-1", "b.s3-website.ca-central-1.amazonaws.com"),
        ("cn-north-1", "b.s3-website.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_website_endpoint_has_the_form_of_its_region(region, endpoint):
    assert mod.describe(params(mode="website"), region, [])["website_endpoint"] == endpoint
    assert mod.describe(params(), region, [])["website_endpoint"] == ""


def test_website_tls_statement_spares_only_get_object():
    website = {s["Sid"]: s for s in s3f.managed_statements("b", "website")}["DenyInsecureTransport"]
    assert website["NotAction"] == "s3:GetObject" and "Action" not in website
    assert website["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    private = {s["Sid"]: s for s in s3f.managed_statements("b", "private")}["DenyInsecureTransport"]
    assert private["Action"] == "s3:*" and "NotAction" not in private


def test_policy_statements_are_managed_by_sid():
    grant = {
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::b/s3/*",
    }
    foreign = {"Sid": "SomeoneElses", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    stale = dict(grant, Resource="arn:aws:s3:::b/old/*")
    p = params(policy_statements=[grant])
    desired = mod.desired_state(p, {"policy": {"Version": "2012-10-17", "Statement": [foreign, stale]}})
    statements = {s["Sid"]: s for s in desired["policy"]["Statement"]}
    assert statements["S3ServerAccessLogsPolicy"] == grant and statements["SomeoneElses"] == foreign
    assert set(statements) == {"SomeoneElses", "S3ServerAccessLogsPolicy", "DenyInsecureTransport"}
