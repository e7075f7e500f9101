"""Deleting a certificate that ACM still counts in use (botocore's Stubber): wait for the release, within a bound.

On AWS, InUseBy keeps naming a distribution or load balancer for a while after it let the certificate go,
and DeleteCertificate answers ResourceInUseException meanwhile.
"""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.illustra.webstack.plugins.module_utils import _acm as acm
from botocore.stub import Stubber

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
OTHER = "arn:aws:acm:us-east-1:123456789012:certificate/other"
DIST = "arn:aws:cloudfront::123456789012:distribution/E1"
ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1"
LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2"


def stubbed(service, region="us-east-1"):
    client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def described(in_use_by):
    return {"Certificate": {"CertificateArn": ARN, "InUseBy": in_use_by}}


class Clock:
    """A fake clock that the fake sleep moves."""

    def __init__(self):
        self.now = 0.0
        self.naps = []

    def sleep(self, seconds):
        self.naps.append(seconds)
        self.now += seconds


def test_waits_while_acm_lags_then_deletes():
    client, stub = stubbed("acm")
    stub.add_response("describe_certificate", described([DIST]), {"CertificateArn": ARN})
    stub.add_response("describe_certificate", described([DIST]), {"CertificateArn": ARN})
    stub.add_response("describe_certificate", described([]), {"CertificateArn": ARN})
    stub.add_response("delete_certificate", {}, {"CertificateArn": ARN})
    clock = Clock()
    with stub:
        assert acm.delete_when_released(client, ARN, 60, poll=5, sleep=clock.sleep, clock=lambda: clock.now) is True
        stub.assert_no_pending_responses()
    assert clock.naps == [5, 5]


def test_delete_refused_in_use_is_retried_until_it_goes_through():
    client, stub = stubbed("acm")
    for _ in range(2):
        stub.add_response("describe_certificate", described([]), {"CertificateArn": ARN})
        stub.add_client_error("delete_certificate", "ResourceInUseException", "Certificate is in use.", 400)
    stub.add_response("describe_certificate", described([]), {"CertificateArn": ARN})
    stub.add_response("delete_certificate", {}, {"CertificateArn": ARN})
    clock = Clock()
    with stub:
        assert acm.delete_when_released(client, ARN, 60, poll=5, sleep=clock.sleep, clock=lambda: clock.now) is True
        stub.assert_no_pending_responses()
    assert clock.naps == [5, 5]


def test_gives_up_after_the_bound_naming_the_users():
    client, stub = stubbed("acm")
    for _ in range(3):
        stub.add_response("describe_certificate", described([DIST]), {"CertificateArn": ARN})
    clock = Clock()
    with stub, pytest.raises(AnsibleAWSError, match=r"still in use by \['arn:aws:cloudfront::.*after 10s"):
        acm.delete_when_released(client, ARN, 10, poll=5, sleep=clock.sleep, clock=lambda: clock.now)
    assert clock.now == 10


def test_a_certificate_already_gone_is_not_an_error():
    client, stub = stubbed("acm")
    stub.add_client_error("describe_certificate", "ResourceNotFoundException", http_status_code=400)
    with stub:
        assert acm.delete_when_released(client, ARN, 60, sleep=pytest.fail) is False


def test_other_errors_surface_at_once():
    client, stub = stubbed("acm")
    stub.add_response("describe_certificate", described([]), {"CertificateArn": ARN})
    stub.add_client_error("delete_certificate", "AccessDeniedException", http_status_code=403)
    with stub, pytest.raises(AnsibleAWSError, match="delete certificate"):
        acm.delete_when_released(client, ARN, 60, sleep=pytest.fail)


def distribution_config(certificate):
    viewer = {"ACMCertificateArn": certificate} if certificate else {"CloudFrontDefaultCertificate": True}
    return {
        "ETag": "E",
        "DistributionConfig": {
            "CallerReference": "r",
            "Comment": "",
            "Enabled": False,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "site.s3.us-east-1.amazonaws.com"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all"},
            "ViewerCertificate": viewer,
        },
    }


def test_users_still_holding_asks_each_service():
    cloudfront, cf_stub = stubbed("cloudfront")
    elbv2, elb_stub = stubbed("elbv2", "eu-west-1")
    # The distribution is gone; the load balancer still serves the certificate on an SNI listener.
    cf_stub.add_client_error("get_distribution_config", "NoSuchDistribution", http_status_code=404)
    listener = {"ListenerArn": LISTENER, "Protocol": "HTTPS", "Port": 443, "Certificates": [{"CertificateArn": OTHER}]}
    elb_stub.add_response("describe_listeners", {"Listeners": [listener]}, {"LoadBalancerArn": ALB})
    elb_stub.add_response(
        "describe_listener_certificates",
        {"Certificates": [{"CertificateArn": OTHER, "IsDefault": True}, {"CertificateArn": ARN, "IsDefault": False}]},
        {"ListenerArn": LISTENER},
    )
    regions = []

    def elbv2_in(region):
        regions.append(region)
        return elbv2

    api_gateway = "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"
    with cf_stub, elb_stub:
        assert acm.users_still_holding(ARN, [DIST, ALB, api_gateway], cloudfront, elbv2_in) == [ALB, api_gateway]
    assert regions == ["eu-west-1"]


@pytest.mark.parametrize(("viewer", "holding"), [(ARN, [DIST]), (OTHER, []), (None, [])])
def test_a_distribution_holds_it_only_while_its_viewer_certificate_is_this_one(viewer, holding):
    cloudfront, stub = stubbed("cloudfront")
    stub.add_response("get_distribution_config", distribution_config(viewer), {"Id": "E1"})
    with stub:
        assert acm.users_still_holding(ARN, [DIST], cloudfront, pytest.fail) == holding


def test_a_deleted_load_balancer_holds_nothing():
    elbv2, stub = stubbed("elbv2", "eu-west-1")
    stub.add_client_error("describe_listeners", "LoadBalancerNotFound", http_status_code=400)
    with stub:
        assert acm.users_still_holding(ARN, [ALB], None, lambda _region: elbv2) == []


def test_validation_records_another_certificate_needs_are_kept():
    client, stub = stubbed("acm")
    record = {"Name": "_x.example.com.", "Type": "CNAME", "Value": "_y.acm-validations.aws."}
    summaries = [
        {"CertificateArn": ARN, "DomainName": "example.com", "SubjectAlternativeNameSummaries": ["example.com"]},
        {"CertificateArn": OTHER, "DomainName": "example.com", "SubjectAlternativeNameSummaries": ["example.com"]},
        {"CertificateArn": OTHER + "2", "DomainName": "other.org", "SubjectAlternativeNameSummaries": ["other.org"]},
    ]
    stub.add_response("list_certificates", {"CertificateSummaryList": summaries})
    stub.add_response(
        "describe_certificate",
        {
            "Certificate": {
                "CertificateArn": OTHER,
                "DomainValidationOptions": [{"DomainName": "example.com", "ResourceRecord": record}],
            }
        },
        {"CertificateArn": OTHER},
    )
    with stub:
        assert acm.validation_records_shared(client, ARN, ["example.com", "*.example.com"]) == {"_x.example.com."}
        stub.assert_no_pending_responses()
