# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The website bucket: API wrappers (retry + error handling) and pure functions for the desired settings."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=["OperationAborted", "SlowDown"])
LIFECYCLE_RULE_ID = "illustra-webstack-noncurrent-versions"
TLS_SID = "DenyInsecureTransport"
PUBLIC_READ_SID = "PublicReadGetObject"
MISSING_CODES = [
    "NoSuchBucket",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchWebsiteConfiguration",
    "404",
]


class AnsibleS3FrontendError(AnsibleAWSError):
    pass


class S3FrontendErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleS3FrontendError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING_CODES)


# ---- pure planning -----------------------------------------------------------------------------


def public_access_block(mode):
    """All four flags on; the website mode lifts only the two that forbid a public bucket policy."""
    website = mode == "website"
    return {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": not website,
        "RestrictPublicBuckets": not website,
    }


def encryption_rules(algorithm, kms_key_id, block_sse_c=True):
    """The default encryption rule; SSE-C uploads blocked unless asked (new buckets block them since 2026)."""
    default = {"SSEAlgorithm": algorithm}
    if algorithm == "aws:kms" and kms_key_id:
        default["KMSMasterKeyID"] = kms_key_id
    return [
        {
            "ApplyServerSideEncryptionByDefault": default,
            "BucketKeyEnabled": algorithm == "aws:kms",
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C" if block_sse_c else "NONE"]},
        }
    ]


def _canon_encryption_rule(rule):
    """The settings a rule carries, in one form: AWS omits BucketKeyEnabled when false, and reports
    BlockedEncryptionTypes as NONE, or not at all, where SSE-C is allowed."""
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    blocked = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType") or []
    return {
        "algorithm": default.get("SSEAlgorithm"),
        "kms_key_id": default.get("KMSMasterKeyID") or None,
        "bucket_key": bool(rule.get("BucketKeyEnabled")),
        "blocked": sorted(set(blocked) - {"NONE"}),
    }


def encryption_differs(current_rules, desired_rules):
    """Whether the bucket's default encryption differs from ours (AWS's own fields are not drift)."""
    current = [_canon_encryption_rule(r) for r in current_rules or []]
    return current != [_canon_encryption_rule(r) for r in desired_rules]


def lifecycle_rule(noncurrent_days, abort_days, expiration_days=None, prefix=""):
    """Our lifecycle rule: noncurrent versions and stale uploads expire; with `expiration_days`,
    current objects too (dumps kept N days). `prefix` limits it to keys under that prefix."""
    rule = {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": prefix or ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": int(noncurrent_days)},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": int(abort_days)},
    }
    if expiration_days:
        rule["Expiration"] = {"Days": int(expiration_days)}
    return rule


def merged_lifecycle(current_rules, rule):
    """Our rule replaces the one with its ID; other rules are kept."""
    return [r for r in current_rules or [] if r.get("ID") != rule["ID"]] + [rule]


def _rule_equal(a, b):
    def canon(r):
        r = dict(r)
        if "Filter" in r and r["Filter"] in ({}, {"Prefix": ""}):
            r["Filter"] = {"Prefix": ""}
        r.pop("Prefix", None)
        return json.dumps(r, sort_keys=True)

    return canon(a) == canon(b)


def lifecycle_differs(current_rules, rule):
    for r in current_rules or []:
        if r.get("ID") == rule["ID"]:
            return not _rule_equal(rule, r)
    return True


# Regions whose S3 website endpoint is <bucket>.s3-website-<region>.amazonaws.com; every other region uses
# <bucket>.s3-website.<region>.amazonaws.com (AWS General Reference, "Amazon S3 website endpoints").
WEBSITE_DASH_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
        "us-gov-west-1",
    }
)


def website_endpoint(bucket, region):
    """The host name of the bucket's S3 website endpoint, in the form its region uses."""
    separator = "-" if region in WEBSITE_DASH_REGIONS else "."
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{bucket}.s3-website{separator}{region}.{suffix}"


def managed_statements(bucket, mode):
    """Our policy statements: deny requests without TLS; in website mode, public s3:GetObject.

    The website endpoint is HTTP only (aws:SecureTransport false), so in website mode the TLS deny spares
    s3:GetObject, the one action the endpoint serves; every other action still needs TLS.
    """
    arn = f"arn:aws:s3:::{bucket}"
    tls = {
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    if mode == "website":
        tls = {k: v for k, v in tls.items() if k != "Action"}
        tls["NotAction"] = "s3:GetObject"
    statements = [tls]
    if mode == "website":
        statements.append(
            {
                "Sid": PUBLIC_READ_SID,
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{arn}/*",
            }
        )
    return statements


def website_config(index_document, error_document):
    return {"IndexDocument": {"Suffix": index_document}, "ErrorDocument": {"Key": error_document}}


def logging_config(target_bucket, prefix):
    if not target_bucket:
        return {}
    return {"LoggingEnabled": {"TargetBucket": target_bucket, "TargetPrefix": prefix}}


# ---- API wrappers --------------------------------------------------------------------------------


def _reader(description, default=None):
    def wrap(func):
        return S3FrontendErrorHandler.list_error_handler(description, default)(RETRY(func))

    return wrap


@_reader("head bucket", False)
def bucket_exists(s3, bucket):
    s3.head_bucket(Bucket=bucket)
    return True


@_reader("get public access block", {})
def get_public_access_block(s3, bucket):
    return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


@_reader("get ownership controls")
def get_ownership(s3, bucket):
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    return rules[0]["ObjectOwnership"] if rules else None


@_reader("get bucket encryption", [])
def get_encryption(s3, bucket):
    return s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]


@_reader("get bucket versioning")
def get_versioning(s3, bucket):
    return s3.get_bucket_versioning(Bucket=bucket).get("Status")


@_reader("get bucket lifecycle", [])
def get_lifecycle(s3, bucket):
    return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]


@_reader("get bucket logging", {})
def get_logging(s3, bucket):
    resp = s3.get_bucket_logging(Bucket=bucket)
    return {"LoggingEnabled": resp["LoggingEnabled"]} if resp.get("LoggingEnabled") else {}


@_reader("get bucket website", {})
def get_website(s3, bucket):
    resp = s3.get_bucket_website(Bucket=bucket)
    return {k: resp[k] for k in ("IndexDocument", "ErrorDocument") if k in resp}


def _writer(description):
    def wrap(func):
        return S3FrontendErrorHandler.common_error_handler(description)(RETRY(func))

    return wrap


@_writer("create bucket")
def create_bucket(s3, bucket, region):
    kwargs = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.get_waiter("bucket_exists").wait(Bucket=bucket)


@_writer("put public access block")
def put_public_access_block(s3, bucket, config):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)


@_writer("put ownership controls")
def put_ownership(s3, bucket, ownership):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})


@_writer("put bucket encryption")
def put_encryption(s3, bucket, rules):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})


@_writer("put bucket versioning")
def put_versioning(s3, bucket, status):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


@_writer("put bucket lifecycle")
def put_lifecycle(s3, bucket, rules):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


@_writer("put bucket logging")
def put_logging(s3, bucket, config):
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=config)


@_writer("put bucket website")
def put_website(s3, bucket, config):
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)


@_writer("delete bucket website")
def delete_website(s3, bucket):
    s3.delete_bucket_website(Bucket=bucket)


@_writer("put bucket tags")
def put_tags(s3, bucket, tags):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})


@_writer("delete bucket (set force=true to delete its objects too)")
def delete_bucket(s3, bucket, empty_first=False):
    if not empty_first:
        s3.delete_bucket(Bucket=bucket)
        return
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        keys += [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("DeleteMarkers", [])]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
