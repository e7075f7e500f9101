"""The emulator's ACM and public DNS (tools/emulator_patches.py, tools/emulator_dns.py): the gap in plain moto,
then the emulator answering as AWS does.

The "gap" tests use moto's models in this process (unpatched, mock_aws); the "fixed" tests go through the
harness's emulator (patched), the way every playbook reaches it.
"""

import os
import time

import boto3
import dns.resolver
import emulator
import pytest
from emulator_patches import ACM_RELEASE_LAG_SECONDS

DOMAIN = "shop.example.com"
CACHE_POLICY = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # the managed CachingOptimized policy


@pytest.fixture(autouse=True)
def _gap_tests_use_plain_moto(request, monkeypatch):
    """Gap tests run moto in this process (mock_aws): no emulator endpoint may catch their calls."""
    if request.node.name.startswith("test_gap"):
        for var in ("AWS_ENDPOINT_URL", "AWS_URL"):
            monkeypatch.delenv(var, raising=False)


def request_certificate(acm):
    return acm.request_certificate(
        DomainName=DOMAIN, SubjectAlternativeNames=[DOMAIN, f"*.{DOMAIN}"], ValidationMethod="DNS"
    )["CertificateArn"]


def validation_record(acm, arn):
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    (record,) = {
        o["ResourceRecord"]["Name"]: o["ResourceRecord"] for o in certificate["DomainValidationOptions"]
    }.values()
    return record


def upsert(route53, zone_id, record, value=None):
    rrset = {
        "Name": record["Name"],
        "Type": "CNAME",
        "TTL": 300,
        "ResourceRecords": [{"Value": value or record["Value"]}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": rrset}]}
    )


def status(acm, arn):
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    return certificate["Status"], sorted({o["ValidationStatus"] for o in certificate["DomainValidationOptions"]})


def distribution(cloudfront, arn):
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "acm-in-use",
            "Comment": "",
            "Enabled": True,
            "Aliases": {"Quantity": 1, "Items": [DOMAIN]},
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": "site.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHE_POLICY,
            },
            "ViewerCertificate": {
                "ACMCertificateArn": arn,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        }
    )
    return created["Distribution"], created["ETag"]


# ---- ACM validation follows DNS


def test_gap_plain_moto_issues_without_any_validation_record(monkeypatch):
    from moto import mock_aws, settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)  # what this harness used to set
    with mock_aws():
        acm = boto3.client("acm", region_name="us-east-1")
        arn = request_certificate(acm)
        time.sleep(0.01)
        assert boto3.client("route53", region_name="us-east-1").list_hosted_zones()["HostedZones"] == []
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"


def test_fixed_certificate_waits_for_its_cname_in_a_public_zone(clean_emulator):
    acm, route53 = boto3.client("acm"), boto3.client("route53")
    arn = request_certificate(acm)
    record = validation_record(acm, arn)
    assert status(acm, arn) == ("PENDING_VALIDATION", ["PENDING_VALIDATION"])

    # A private zone is not public DNS, and a wrong value is no proof.
    vpc = boto3.client("ec2").create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    private = route53.create_hosted_zone(
        Name=DOMAIN,
        CallerReference="private",
        VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
        HostedZoneConfig={"PrivateZone": True},
    )["HostedZone"]["Id"]
    upsert(route53, private, record)
    public = route53.create_hosted_zone(Name=DOMAIN, CallerReference="public")["HostedZone"]["Id"]
    upsert(route53, public, record, value="_wrong.acm-validations.aws.")
    assert status(acm, arn) == ("PENDING_VALIDATION", ["PENDING_VALIDATION"])
    assert acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"] == []

    upsert(route53, public, record)
    assert status(acm, arn) == ("ISSUED", ["SUCCESS"])

    # Issued stays issued when the record goes (only renewal needs it again).
    route53.change_resource_record_sets(
        HostedZoneId=public,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "DELETE",
                    "ResourceRecordSet": {
                        "Name": record["Name"],
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": record["Value"]}],
                    },
                }
            ]
        },
    )
    assert status(acm, arn) == ("ISSUED", ["SUCCESS"])


def test_fixed_the_record_may_sit_in_a_parent_zone(clean_emulator):
    acm, route53 = boto3.client("acm"), boto3.client("route53")
    arn = request_certificate(acm)
    parent = route53.create_hosted_zone(Name="example.com", CallerReference="parent")["HostedZone"]["Id"]
    assert status(acm, arn) == ("PENDING_VALIDATION", ["PENDING_VALIDATION"])
    upsert(route53, parent, validation_record(acm, arn))
    assert status(acm, arn) == ("ISSUED", ["SUCCESS"])


# ---- the emulator's public DNS


def test_fixed_emulator_answers_ns_and_records_of_its_public_zones(clean_emulator):
    route53 = boto3.client("route53")
    created = route53.create_hosted_zone(Name=DOMAIN, CallerReference="dns")
    upsert(route53, created["HostedZone"]["Id"], {"Name": f"_v.{DOMAIN}.", "Value": "_t.acm-validations.aws."})
    host, port = emulator.dns_resolver(clean_emulator).split(":")
    assert os.environ["WEBSTACK_DNS_RESOLVERS"] == f"{host}:{port}"  # what playbooks run with
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = [host], int(port), 5

    ns = sorted(r.target.to_text() for r in resolver.resolve(DOMAIN, "NS"))
    assert ns == sorted(n + "." for n in created["DelegationSet"]["NameServers"])
    assert [r.target.to_text() for r in resolver.resolve(f"_v.{DOMAIN}", "CNAME")] == ["_t.acm-validations.aws."]
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve(f"www.{DOMAIN}", "NS")  # inside the zone, no delegation of its own
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("nowhere.example.org", "NS")  # no zone of the emulator covers it


# ---- certificates in use: InUseBy and DeleteCertificate


def test_gap_plain_moto_deletes_a_certificate_cloudfront_serves():
    from moto import mock_aws

    with mock_aws():
        acm = boto3.client("acm", region_name="us-east-1")
        arn = request_certificate(acm)
        distribution(boto3.client("cloudfront", region_name="us-east-1"), arn)
        assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == []
        acm.delete_certificate(CertificateArn=arn)


def in_use_by(acm, arn):
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"]


def test_fixed_cloudfront_holds_the_certificate_and_releases_it_after_a_lag(clean_emulator):
    acm, cloudfront = boto3.client("acm"), boto3.client("cloudfront")
    arn = request_certificate(acm)
    dist, etag = distribution(cloudfront, arn)
    assert in_use_by(acm, arn) == [dist["ARN"]]
    with pytest.raises(acm.exceptions.ResourceInUseException):
        acm.delete_certificate(CertificateArn=arn)

    cloudfront.delete_distribution(Id=dist["Id"], IfMatch=etag)
    released = time.monotonic()
    assert in_use_by(acm, arn) == [dist["ARN"]]  # ACM has not caught up yet
    with pytest.raises(acm.exceptions.ResourceInUseException):
        acm.delete_certificate(CertificateArn=arn)
    while in_use_by(acm, arn):
        assert time.monotonic() - released < ACM_RELEASE_LAG_SECONDS + 5, "InUseBy never caught up"
        time.sleep(0.5)
    assert time.monotonic() - released >= ACM_RELEASE_LAG_SECONDS - 0.5
    acm.delete_certificate(CertificateArn=arn)
    assert acm.list_certificates()["CertificateSummaryList"] == []


def test_fixed_a_load_balancer_listener_holds_the_certificate(clean_emulator):
    acm, ec2, elbv2 = boto3.client("acm"), boto3.client("ec2"), boto3.client("elbv2")
    arn = request_certificate(acm)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    balancer = elbv2.create_load_balancer(Name="acm-in-use", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": arn}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )
    assert in_use_by(acm, arn) == [balancer]  # the load balancer, as AWS lists it (moto listed the listener)
    with pytest.raises(acm.exceptions.ResourceInUseException):
        acm.delete_certificate(CertificateArn=arn)
    elbv2.delete_load_balancer(LoadBalancerArn=balancer)
    assert in_use_by(acm, arn) == [balancer]
