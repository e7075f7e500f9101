# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A resource's tags, read the same way for every service whose tagging calls the collection makes itself.

Each service names the call, its parameter and where the tag list sits differently; everything else is
one behaviour: a missing resource or tag set reads as no tags, and the codes AWS documents as transient
are retried. EC2, ELBv2 and Auto Scaling return tags with the resource itself and need no read of their own.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# service: (client method, resource parameter, path to the tags in the answer: a Key/Value list or a dict)
TAG_READERS = {
    "acm": ("list_tags_for_certificate", "CertificateArn", ("Tags",)),
    "backup": ("list_tags", "ResourceArn", ("Tags",)),
    "cloudfront": ("list_tags_for_resource", "Resource", ("Tags", "Items")),
    "logs": ("list_tags_for_resource", "resourceArn", ("tags",)),
    "s3": ("get_bucket_tagging", "Bucket", ("TagSet",)),
    "sns": ("list_tags_for_resource", "ResourceArn", ("Tags",)),
    "ssm": ("list_tags_for_resource", "ResourceId", ("TagList",)),
    "wafv2": ("list_tags_for_resource", "ResourceARN", ("TagInfoForResource", "TagList")),
}
# Fixed parameters of a reader: the collection tags only parameters in SSM.
READER_ARGS = {"ssm": {"ResourceType": "Parameter"}}

# "No such resource" and "no tags" for each service above (S3 answers NoSuchTagSet for an untagged bucket;
# CloudFront NoSuchResource for a distribution deleted since it was listed; SSM InvalidResourceId for a
# parameter, SNS NotFound or ResourceNotFound for a topic, that is gone).
MISSING_CODES = [
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NotFound",
    "InvalidResourceId",
    "NoSuchResource",
    "NoSuchBucket",
    "NoSuchTagSet",
    "WAFNonexistentItemException",
]

# Transient errors beyond AWSRetry's own list: ACM's and WAF's throttling, S3's SlowDown and
# OperationAborted (a conflicting operation in progress), and the two WAF errors whose documentation
# says to retry.
RETRY = AWSRetry.jittered_backoff(
    retries=8,
    delay=1,
    catch_extra_error_codes=[
        "ThrottlingException",
        "SlowDown",
        "OperationAborted",
        "WAFInternalErrorException",
        "WAFTagOperationInternalErrorException",
    ],
)


class AnsibleTagsError(AnsibleAWSError):
    pass


class TagsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleTagsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING_CODES)


def get_tags(client, resource):
    """The tags of `resource` (an ARN, or a bucket name for S3) as a dict; {} when it or its tags are gone."""
    service = client.meta.service_model.service_name
    if service not in TAG_READERS:
        raise ValueError(f"no tag reader for {service}: add it to TAG_READERS")
    return _read(client, service, resource)


@TagsErrorHandler.list_error_handler("read tags", {})
@RETRY
def _read(client, service, resource):
    method, parameter, path = TAG_READERS[service]
    kwargs = {parameter: resource, **READER_ARGS.get(service, {})}
    tags = {}
    while True:  # AWS Backup's ListTags pages (botocore has no paginator for it); the others answer at once
        page = getattr(client, method)(**kwargs)
        found = page
        for key in path:
            found = (found or {}).get(key)
        tags.update(found if isinstance(found, dict) else boto3_tag_list_to_ansible_dict(found or []))
        if not (page or {}).get("NextToken"):
            return tags
        kwargs["NextToken"] = page["NextToken"]
