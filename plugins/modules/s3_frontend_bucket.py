#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_frontend_bucket
short_description: A private S3 bucket (website build, artifacts, dumps), or the flagged S3-website exception, in one task
version_added: 0.1.0
description:
  - Creates or converges a bucket (the website build, release artifacts, database dumps), reading its
    settings with one call each and changing only what differs, without sleeping.
  - O(mode=private) (the default) sets all four Block Public Access flags, C(BucketOwnerEnforced),
    default encryption, versioning with a noncurrent-version expiry, and a bucket policy that denies
    requests without TLS. CloudFront reads it through Origin Access Control.
  - O(mode=website) is the explicit exception for an environment without a CDN (the S3 website
    endpoint, HTTP only) - it lifts only the two Block Public Access flags that forbid a public policy
    and adds a policy statement that allows C(s3:GetObject) (nothing else) to everyone. Its TLS-only
    statement spares C(s3:GetObject), the one action the endpoint serves over plain HTTP.
  - Bucket policy statements are managed by C(Sid); statements added by others (for example the
    CloudFront OAC statement of M(illustra.webstack.cloudfront_web_distribution)) are kept.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Bucket name (globally unique).
    type: str
    required: true
  mode:
    description: C(private) (CloudFront with OAC) or C(website) (public S3 website endpoint).
    type: str
    default: private
    choices: [private, website]
  encryption:
    description: Default encryption algorithm.
    type: str
    default: AES256
    choices: [AES256, aws:kms]
  kms_key_id:
    description: KMS key for O(encryption=aws:kms); the AWS managed key when omitted.
    type: str
  block_sse_c:
    description:
      - Refuse uploads encrypted with customer-provided keys (SSE-C), as S3 does for new buckets since 2026.
      - The rule's C(BlockedEncryptionTypes) that S3 reports is compared with this, so it is not drift.
    type: bool
    default: true
  versioning:
    description: Keep object versions (needed to roll back a release and to recover deleted objects).
    type: bool
    default: true
  noncurrent_version_days:
    description: Days after which noncurrent object versions expire.
    type: int
    default: 30
  abort_multipart_days:
    description: Days after which incomplete multipart uploads are aborted.
    type: int
    default: 7
  expiration_days:
    description:
      - Days after which current objects expire too (for example dumps kept for a retention period).
      - Objects never expire when omitted (a website build, release artifacts).
    type: int
  lifecycle_prefix:
    description: The lifecycle rule applies to keys under this prefix only; every key when empty.
    type: str
    default: ""
  logging_bucket:
    description: Bucket that receives server access logs; no logging when omitted.
    type: str
  logging_prefix:
    description: Key prefix of the access logs.
    type: str
    default: ""
  policy_statements:
    description:
      - More bucket policy statements to manage, each with a C(Sid) (for example the grants that let AWS
        services deliver logs into a log bucket). They are set by C(Sid); statements of other Sids are kept.
    type: list
    elements: dict
    default: []
  index_document:
    description: Index document of the website endpoint (O(mode=website)).
    type: str
    default: index.html
  error_document:
    description: Error document of the website endpoint (O(mode=website)); the SPA's index page.
    type: str
    default: index.html
  tags:
    description: Bucket tags.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  force:
    description: With O(state=absent), delete every object version before deleting the bucket.
    type: bool
    default: false
  state:
    description: C(present) or C(absent).
    type: str
    default: present
    choices: [present, absent]
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
- name: Create the private website bucket
  illustra.webstack.s3_frontend_bucket:
    name: illustra-prod-frontend
    tags:
      Project: illustra
"""

RETURN = r"""
bucket:
  description: The bucket after the run (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
    arn:
      description: Bucket ARN.
      type: str
    regional_domain_name:
      description: Regional domain name, the CloudFront origin.
      type: str
    website_endpoint:
      description:
        - Website endpoint host name (O(mode=website) only, else empty), in the form of the bucket's region
          (C(<bucket>.s3-website-<region>.amazonaws.com) or C(<bucket>.s3-website.<region>.amazonaws.com)).
      type: str
    changes:
      description: The settings that were (or in check mode would be) changed.
      type: list
      elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _bucket_policy as bucket_policy
from ansible_collections.illustra.webstack.plugins.module_utils import _s3_frontend as s3f
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


def read_state(s3, bucket):
    return {
        "public_access_block": s3f.get_public_access_block(s3, bucket),
        "object_ownership": s3f.get_ownership(s3, bucket),
        "encryption": s3f.get_encryption(s3, bucket),
        "versioning": s3f.get_versioning(s3, bucket),
        "lifecycle": s3f.get_lifecycle(s3, bucket),
        "logging": s3f.get_logging(s3, bucket),
        "website": s3f.get_website(s3, bucket),
        "policy": bucket_policy.get_policy(s3, bucket),
        "tags": get_tags(s3, bucket),
    }


def lifecycle_rule(p):
    return s3f.lifecycle_rule(
        p["noncurrent_version_days"], p["abort_multipart_days"], p.get("expiration_days"), p.get("lifecycle_prefix")
    )


def desired_state(p, current):
    bucket, mode = p["name"], p["mode"]
    rule = lifecycle_rule(p)
    remove = [] if mode == "website" else [s3f.PUBLIC_READ_SID]
    return {
        "public_access_block": s3f.public_access_block(mode),
        "object_ownership": "BucketOwnerEnforced",
        "encryption": s3f.encryption_rules(p["encryption"], p["kms_key_id"], p["block_sse_c"]),
        "versioning": "Enabled" if p["versioning"] else "Suspended",
        "lifecycle": s3f.merged_lifecycle(current.get("lifecycle"), rule),
        "logging": s3f.logging_config(p["logging_bucket"], p["logging_prefix"]),
        "website": s3f.website_config(p["index_document"], p["error_document"]) if mode == "website" else {},
        "policy": bucket_policy.merged_policy(
            current.get("policy"), s3f.managed_statements(bucket, mode) + list(p["policy_statements"]), remove
        ),
        "tags": dict(p["tags"] or {}),
    }


def plan(p, current, desired):
    """The names of the settings that differ (pure: compares two dicts of settings)."""
    changes = []
    for key in ("public_access_block", "object_ownership", "logging", "website"):
        if current.get(key) != desired[key]:
            changes.append(key)
    if s3f.encryption_differs(current.get("encryption"), desired["encryption"]):
        changes.append("encryption")
    enabled = current.get("versioning") == "Enabled"
    if (desired["versioning"] == "Enabled") != enabled:
        changes.append("versioning")
    if s3f.lifecycle_differs(current.get("lifecycle"), lifecycle_rule(p)):
        changes.append("lifecycle")
    if not bucket_policy.policy_equal(current.get("policy"), desired["policy"]):
        changes.append("policy")
    to_add, to_remove = compare_aws_tags(current.get("tags") or {}, desired["tags"], purge_tags=p["purge_tags"])
    if to_add or to_remove:
        changes.append("tags")
    return changes


APPLY_ORDER = [
    "object_ownership",
    "public_access_block",
    "encryption",
    "versioning",
    "lifecycle",
    "logging",
    "website",
    "policy",
    "tags",
]


def apply(s3, bucket, changes, desired, *, purge_tags, current_tags):
    for key in APPLY_ORDER:
        if key not in changes:
            continue
        value = desired[key]
        if key == "object_ownership":
            s3f.put_ownership(s3, bucket, value)
        elif key == "public_access_block":
            s3f.put_public_access_block(s3, bucket, value)
        elif key == "encryption":
            s3f.put_encryption(s3, bucket, value)
        elif key == "versioning":
            s3f.put_versioning(s3, bucket, value)
        elif key == "lifecycle":
            s3f.put_lifecycle(s3, bucket, value)
        elif key == "logging":
            s3f.put_logging(s3, bucket, value)
        elif key == "website":
            if value:
                s3f.put_website(s3, bucket, value)
            else:
                s3f.delete_website(s3, bucket)
        elif key == "policy":
            bucket_policy.put_policy(s3, bucket, value)
        elif key == "tags":
            tags = dict(value) if purge_tags else dict(current_tags or {}, **value)
            s3f.put_tags(s3, bucket, tags)


def describe(p, region, changes, exists=True):
    if not exists:
        return {}
    bucket = p["name"]
    website = s3f.website_endpoint(bucket, region) if p["mode"] == "website" else ""
    return {
        "name": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "regional_domain_name": f"{bucket}.s3.{region}.amazonaws.com",
        "website_endpoint": website,
        "changes": changes,
    }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        mode=dict(type="str", default="private", choices=["private", "website"]),
        encryption=dict(type="str", default="AES256", choices=["AES256", "aws:kms"]),
        kms_key_id=dict(type="str"),
        block_sse_c=dict(type="bool", default=True),
        versioning=dict(type="bool", default=True),
        noncurrent_version_days=dict(type="int", default=30),
        abort_multipart_days=dict(type="int", default=7),
        expiration_days=dict(type="int"),
        lifecycle_prefix=dict(type="str", default=""),
        logging_bucket=dict(type="str"),
        logging_prefix=dict(type="str", default=""),
        policy_statements=dict(type="list", elements="dict", default=[]),
        index_document=dict(type="str", default="index.html"),
        error_document=dict(type="str", default="index.html"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if any(not statement.get("Sid") for statement in p["policy_statements"]):
        module.fail_json(msg="every entry of policy_statements needs a Sid: statements are managed by Sid.")
    region = module.region
    s3 = module.client("s3")
    bucket = p["name"]
    try:
        exists = s3f.bucket_exists(s3, bucket)
        if p["state"] == "absent":
            if not exists:
                module.exit_json(changed=False, bucket={})
            before = read_state(s3, bucket)
            if not module.check_mode:
                s3f.delete_bucket(s3, bucket, empty_first=p["force"])
            result = dict(changed=True, bucket={})
            if module._diff:
                result["diff"] = dict(before=before, after={})
            module.exit_json(**result)
        current = read_state(s3, bucket) if exists else {}
        desired = desired_state(p, current)
        changes = plan(p, current, desired) if exists else ["bucket", *APPLY_ORDER]
        if not module.check_mode:
            if not exists:
                s3f.create_bucket(s3, bucket, region)
                current = read_state(s3, bucket)
                desired = desired_state(p, current)
                changes = ["bucket", *plan(p, current, desired)]
            apply(s3, bucket, changes, desired, purge_tags=p["purge_tags"], current_tags=current.get("tags"))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    result = dict(changed=bool(changes), bucket=describe(p, region, changes))
    if module._diff:
        result["diff"] = dict(before=current, after=desired)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
