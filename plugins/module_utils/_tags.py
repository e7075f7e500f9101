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

# service: (client method, resource parameter, path to the tag list in the answer)
TAG_READERS = {
    "acm": ("list_tags_for_certificate", "CertificateArn", ("Tags",)),
    "cloudfront": ("list_tags_for_resource", "Resource", ("Tags", "Items")),
    "s3": ("get_bucket_tagging", "Bucket", ("TagSet",)),
    "wafv2": ("list_tags_for_resource", "ResourceARN", ("TagInfoForResource", "TagList")),
}

# "No such resource" and "no tags" for each service above (S3 answers NoSuchTagSet for an untagged bucket;
# CloudFront NoSuchResource for a distribution deleted since it was listed).
MISSING_CODES = [
    "ResourceNotFoundException",
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
    answer = getattr(client, method)(**{parameter: resource})
    for key in path:
        answer = (answer or {}).get(key)
    return boto3_tag_list_to_ansible_dict(answer or [])
