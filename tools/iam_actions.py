"""The IAM actions an AWS API request needs, and whether an identity policy grants an action.

One source of truth for the emulator's IAM enforcement (emulator_patches._iam_policy_evaluation)
and for the report of called versus granted actions (tests/integration/test_iam_enforced.py).

- A request is signed for a service (the SigV4 credential scope's service name); IAM names most
  actions `<signing name>:<operation>`, with the exceptions below (Service Authorization Reference).
- Some operations need more than their own action: creating with tags needs the tagging action
  too (EC2 "Grant permission to tag resources during creation", ELB "Tagging on creation": since
  2024 CreateLoadBalancer/CreateTargetGroup/CreateListener/CreateRule with Tags also need
  elasticloadbalancing:AddTags), and CloudFront's CreateDistributionWithTags is authorised as
  cloudfront:CreateDistribution plus cloudfront:TagResource.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping

# SigV4 signing names whose IAM service prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag", "elasticmapreduce": "elasticmapreduce"}
# Operations IAM authorises under other action names (all of them needed).
RENAMED = {
    "cloudfront:CreateDistributionWithTags": ("cloudfront:CreateDistribution", "cloudfront:TagResource"),
    "cloudfront:CreateDistributionTenant": ("cloudfront:CreateDistributionTenant",),
    # S3 authorises reads of object listings and bucket existence as s3:ListBucket.
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:ListObjects": ("s3:ListBucket",),
    "s3:ListObjectsV2": ("s3:ListBucket",),
    "s3:ListObjectVersions": ("s3:ListBucketVersions",),
    "s3:HeadObject": ("s3:GetObject",),
    "s3:DeleteObjects": ("s3:DeleteObject",),
    "s3:CopyObject": ("s3:PutObject", "s3:GetObject"),
    "s3:GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "s3:PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "s3:GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "s3:PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "s3:DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration",),
    "s3:GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "s3:PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "s3:DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "s3:GetBucketOwnershipControls": ("s3:GetBucketOwnershipControls",),
    "s3:DeleteBucketPolicy": ("s3:DeleteBucketPolicy",),
    "s3:DeleteBucketWebsite": ("s3:DeleteBucketWebsite",),
    "s3:GetBucketTagging": ("s3:GetBucketTagging",),
    "s3:DeleteBucketTagging": ("s3:PutBucketTagging",),
    "s3:GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration",),
    "s3:GetBucketReplication": ("s3:GetReplicationConfiguration",),
    "s3:GetBucketNotificationConfiguration": ("s3:GetBucketNotification",),
    "s3:PutBucketNotificationConfiguration": ("s3:PutBucketNotification",),
}
# AWS Budgets operations on budgets, notifications and subscribers (not its budget actions).
BUDGET_OPERATIONS = (
    "DescribeBudget",
    "DescribeNotification",
    "DescribeSubscriber",
    "CreateBudget",
    "UpdateBudget",
    "DeleteBudget",
    "CreateNotification",
    "UpdateNotification",
    "DeleteNotification",
    "CreateSubscriber",
    "UpdateSubscriber",
    "DeleteSubscriber",
)
# Creates that carry tags in the request need the service's tagging action too.
TAG_ON_CREATE = {
    "ec2": ("TagSpecification", "ec2:CreateTags"),
    "elasticloadbalancing": ("Tags.member", "elasticloadbalancing:AddTags"),
    "autoscaling": ("Tags.member", "autoscaling:CreateOrUpdateTags"),
}


def iam_actions(signing_name: str, operation: str, params: Iterable[str] = ()) -> list[str]:
    """The IAM actions a request for `operation`, signed for `signing_name`, needs.

    `params` are the request's parameter names (query or form keys) where they decide tag-on-create.
    """
    prefix = IAM_PREFIX.get(signing_name, signing_name)
    if prefix == "budgets" and operation.startswith(BUDGET_OPERATIONS):
        # AWS Budgets authorises its budget operations as two actions (Cost Management User Guide,
        # "Actions for budgets"): reading as budgets:ViewBudget, every change as budgets:ModifyBudget.
        return ["budgets:ViewBudget" if operation.startswith("Describe") else "budgets:ModifyBudget"]
    action = f"{prefix}:{operation}"
    actions = list(RENAMED.get(action, (action,)))
    tagging = TAG_ON_CREATE.get(prefix)
    if tagging and operation.startswith(("Create", "Run", "Allocate")) and operation not in ("CreateTags",):
        marker, tag_action = tagging
        if any(str(name).startswith(marker) for name in params):
            actions.append(tag_action)
    return actions


def _matches(patterns, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else patterns
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def granting_entries(policy: Mapping | str, action: str) -> list[str]:
    """The Action entries of the policy's Allow statements that name `action` ("Sid: entry" each).

    Action level only: which statement's resources and conditions apply is IAM's evaluation of the
    request, not of the action name.
    """
    doc = json.loads(policy) if isinstance(policy, str) else policy
    found = []
    for statement in doc["Statement"]:
        if statement["Effect"] != "Allow" or "Action" not in statement:
            continue
        entries = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        found += [f"{statement.get('Sid', '')}: {e}" for e in entries if _matches(e, action)]
    return found


def allow_entries(policy: Mapping | str) -> list[str]:
    """Every Action entry of the policy's Allow statements, as "Sid: entry"."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    entries = []
    for statement in doc["Statement"]:
        if statement["Effect"] == "Allow" and "Action" in statement:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            entries += [f"{statement.get('Sid', '')}: {a}" for a in actions]
    return entries
