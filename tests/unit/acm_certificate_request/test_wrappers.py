"""acm_certificate_request API wrappers with botocore's Stubber."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _acm as acm
from botocore.stub import ANY, Stubber

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


@pytest.fixture
def client():
    c = boto3.client("acm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(c) as stub:
        yield c, stub


def test_request_shape_dns_validation_and_retry(client):
    c, stub = client
    stub.add_client_error("request_certificate", "ThrottlingException", http_status_code=400)
    stub.add_response(
        "request_certificate",
        {"CertificateArn": ARN},
        {
            "DomainName": "example.com",
            "SubjectAlternativeNames": ["example.com", "*.example.com"],
            "ValidationMethod": "DNS",
            "IdempotencyToken": "tok",
            "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"},
            "Tags": [{"Key": "Name", "Value": "n"}],
        },
    )
    assert acm.request_certificate(c, "example.com", ["*.example.com"], {"Name": "n"}, "tok") == ARN
    stub.assert_no_pending_responses()


def test_missing_certificate_describes_as_none_and_other_errors_surface(client):
    c, stub = client
    stub.add_client_error("describe_certificate", "ResourceNotFoundException", http_status_code=400)
    assert acm.describe_certificate(c, ARN) is None
    stub.add_client_error("describe_certificate", "AccessDeniedException", http_status_code=403)
    with pytest.raises(AnsibleAWSError, match="describe certificate"):
        acm.describe_certificate(c, ARN)


def test_wait_for_records_polls_until_published(client):
    c, stub = client
    pending = {"Certificate": {"CertificateArn": ARN, "DomainValidationOptions": [{"DomainName": "example.com"}]}}
    ready = {
        "Certificate": {
            "CertificateArn": ARN,
            "DomainValidationOptions": [
                {"DomainName": "example.com", "ResourceRecord": {"Name": "_a.", "Type": "CNAME", "Value": "_b."}}
            ],
        }
    }
    stub.add_response("describe_certificate", pending, {"CertificateArn": ARN})
    stub.add_response("describe_certificate", ready, {"CertificateArn": ARN})
    naps = []
    result = acm.wait_for_records(c, ARN, ["example.com"], timeout=60, poll=0.5, sleep=naps.append)
    assert result["DomainValidationOptions"][0]["ResourceRecord"]["Name"] == "_a."
    assert naps == [0.5]


def test_delete_in_use_is_surfaced(client):
    c, stub = client
    stub.add_client_error(
        "delete_certificate", "ResourceInUseException", http_status_code=400, expected_params={"CertificateArn": ANY}
    )
    with pytest.raises(AnsibleAWSError, match="delete certificate"):
        acm.delete_certificate(c, ARN)
