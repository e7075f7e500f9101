# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""S3 bucket policies shared by several modules: statements managed by Sid beside other people's, compared
the way amazon.aws compares policies, and the S3 calls that read and write them."""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# SlowDown is S3's throttling; OperationAborted a conflicting operation on the bucket still in progress.
RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=["OperationAborted", "SlowDown"])
VERSION = "2012-10-17"


class AnsibleBucketPolicyError(AnsibleAWSError):
    pass


class BucketPolicyErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleBucketPolicyError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NoSuchBucket", "NoSuchBucketPolicy"])


def merged_policy(current, statements, remove_sids=()):
    """The policy with our statements (matched by Sid) set, `remove_sids` dropped, every other statement kept."""
    policy = dict(current or {})
    ours = {s["Sid"] for s in statements} | set(remove_sids)
    existing = policy.get("Statement") or []
    if isinstance(existing, dict):
        existing = [existing]
    policy["Version"] = policy.get("Version", VERSION)
    policy["Statement"] = [s for s in existing if s.get("Sid") not in ours] + list(statements)
    return policy


def policy_equal(a, b):
    """Whether two policies grant the same: statement and list order, one-item lists against strings,
    "*" against {"AWS": "*"} and an account's root ARN against its id do not count (amazon.aws's
    compare_policies). No policy equals a policy without statements."""

    def normal(policy):
        if not policy or not policy.get("Statement"):
            return None
        return policy

    a, b = normal(a), normal(b)
    if a is None or b is None:
        return a is b
    return not compare_policies(a, b)


@BucketPolicyErrorHandler.list_error_handler("get bucket policy")
@RETRY
def get_policy(s3, bucket):
    """The bucket's policy as a dict; None when the bucket has none (or no longer exists)."""
    return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])


@BucketPolicyErrorHandler.common_error_handler("put bucket policy")
@RETRY
def put_policy(s3, bucket, policy):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


@BucketPolicyErrorHandler.deletion_error_handler("delete bucket policy")
@RETRY
def delete_policy(s3, bucket):
    s3.delete_bucket_policy(Bucket=bucket)
    return True
