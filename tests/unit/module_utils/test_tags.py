"""get_tags: one tag reader for ACM, AWS Backup, CloudFront, CloudWatch Logs, S3, SNS, SSM and WAFv2 (four copies
before, each with its own gaps; the coarse modules' four readers joined it).

The behaviour chosen where the copies differed: a resource or tag set that is gone reads as no tags in
every service (the CloudFront copies failed on NoSuchResource, a distribution deleted since it was
listed); an answer without a tag list reads as no tags (one copy failed on a null Items); the transient
codes of all four services are retried (ACM's and WAF's ThrottlingException, S3's SlowDown, WAF's
WAFTagOperationInternalErrorException, which no copy retried).
"""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags
from botocore.stub import Stubber

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
DIST = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/illustra-prod/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
TAGS = [{"Key": "Name", "Value": "illustra-prod"}, {"Key": "Environment", "Value": "prod"}]
WANT = {"Name": "illustra-prod", "Environment": "prod"}
VAULT = "arn:aws:backup:us-east-1:123456789012:backup-vault:illustra-prod"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/illustra/prod/app"
TOPIC = "arn:aws:sns:us-east-1:123456789012:illustra-prod-alerts"

# service, resource, the call, its literal request, an answer carrying TAGS, an answer without a tag list
CASES = {
    "acm": (CERT, "list_tags_for_certificate", {"CertificateArn": CERT}, {"Tags": TAGS}, {}),
    "backup": (VAULT, "list_tags", {"ResourceArn": VAULT}, {"Tags": WANT}, {}),
    "cloudfront": (DIST, "list_tags_for_resource", {"Resource": DIST}, {"Tags": {"Items": TAGS}}, {"Tags": {}}),
    "logs": (GROUP, "list_tags_for_resource", {"resourceArn": GROUP}, {"tags": WANT}, {}),
    "s3": ("illustra-prod-site", "get_bucket_tagging", {"Bucket": "illustra-prod-site"}, {"TagSet": TAGS}, None),
    "sns": (TOPIC, "list_tags_for_resource", {"ResourceArn": TOPIC}, {"Tags": TAGS}, {}),
    "ssm": (
        "/illustra/prod/jwt",
        "list_tags_for_resource",
        {"ResourceType": "Parameter", "ResourceId": "/illustra/prod/jwt"},
        {"TagList": TAGS},
        {},
    ),
    "wafv2": (
        ACL,
        "list_tags_for_resource",
        {"ResourceARN": ACL},
        {"TagInfoForResource": {"ResourceARN": ACL, "TagList": TAGS}},
        {"TagInfoForResource": {"ResourceARN": ACL}},
    ),
}
MISSING = {
    "acm": "ResourceNotFoundException",
    "backup": "ResourceNotFoundException",
    "cloudfront": "NoSuchResource",
    "logs": "ResourceNotFoundException",
    "s3": "NoSuchTagSet",
    "sns": "ResourceNotFound",
    "ssm": "InvalidResourceId",
    "wafv2": "WAFNonexistentItemException",
}
TRANSIENT = {
    "acm": "ThrottlingException",
    "backup": "ThrottlingException",
    "cloudfront": "Throttling",
    "logs": "ThrottlingException",
    "s3": "SlowDown",
    "sns": "Throttling",
    "ssm": "ThrottlingException",
    "wafv2": "WAFTagOperationInternalErrorException",
}


@pytest.fixture(params=sorted(CASES))
def service(request):
    name = request.param
    client = boto3.client(name, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield (name, client, stub, *CASES[name])
        stub.assert_no_pending_responses()


def test_reads_tags_with_the_service_call(service):
    _name, client, stub, resource, method, request, answer, _empty = service
    stub.add_response(method, answer, request)
    assert get_tags(client, resource) == WANT


def test_through_the_module_client_wrapper(service):
    """AnsibleAWSModule.client() wraps the client; the service is still found."""
    _name, client, stub, resource, method, request, answer, _empty = service
    stub.add_response(method, answer, request)
    assert get_tags(RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff()), resource) == WANT


@pytest.mark.parametrize(
    "service", ["acm", "backup", "cloudfront", "logs", "sns", "ssm", "wafv2"], indirect=True
)  # S3: NoSuchTagSet, below
def test_no_tag_list_reads_as_no_tags(service):
    _name, client, stub, resource, method, request, _answer, empty = service
    stub.add_response(method, empty, request)
    assert get_tags(client, resource) == {}


def test_gone_reads_as_no_tags(service):
    name, client, stub, resource, method, request, _answer, _empty = service
    stub.add_client_error(method, MISSING[name], http_status_code=404, expected_params=request)
    assert get_tags(client, resource) == {}


def test_transient_errors_are_retried(service):
    name, client, stub, resource, method, request, answer, _empty = service
    stub.add_client_error(method, TRANSIENT[name], http_status_code=400)
    stub.add_response(method, answer, request)
    assert get_tags(client, resource) == WANT


def test_other_errors_surface(service):
    _name, client, stub, resource, method, _request, _answer, _empty = service
    stub.add_client_error(method, "AccessDenied", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="read tags"):
        get_tags(client, resource)


def test_backup_tags_are_read_across_pages():
    client = boto3.client("backup", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("list_tags", {"Tags": {"Name": "illustra-prod"}, "NextToken": "t"}, {"ResourceArn": VAULT})
        stub.add_response("list_tags", {"Tags": {"Environment": "prod"}}, {"ResourceArn": VAULT, "NextToken": "t"})
        assert get_tags(client, VAULT) == WANT
        stub.assert_no_pending_responses()


def test_a_service_without_a_reader_is_a_programming_error():
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(ValueError, match="no tag reader for sqs"):
        get_tags(client, "https://sqs.us-east-1.amazonaws.com/123456789012/q")
