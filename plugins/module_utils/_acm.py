# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ACM certificate requests: API wrappers (retry + error handling) and pure planning functions."""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, catch_extra_error_codes=["ThrottlingException"])
# Statuses of a certificate that can still serve or become servable; others are ignored when searching.
USABLE_STATUSES = ["PENDING_VALIDATION", "ISSUED"]


class AnsibleACMError(AnsibleAWSError):
    pass


class ACMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleACMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


def wanted_names(domain_name, sans):
    """The certificate's names: the domain first, then the SANs without duplicates, in order."""
    names = [domain_name]
    for name in sans or []:
        if name not in names:
            names.append(name)
    return names


def matches(summary, tags, domain_name, sans, name_tag):
    """Whether a listed certificate (summary + its tags) is the one this module manages."""
    if summary.get("DomainName") != domain_name:
        return False
    listed = summary.get("SubjectAlternativeNameSummaries")
    if listed is not None and set(listed) != set(wanted_names(domain_name, sans)):
        return False
    return tags.get("Name") == name_tag


def validation_records(certificate):
    """The distinct DNS validation CNAMEs of a described certificate, as route53 record sets.

    The apex and its wildcard share one record, so names are deduplicated.
    """
    seen = {}
    for option in certificate.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if not record:
            continue
        seen.setdefault(
            record["Name"],
            {
                "Name": record["Name"],
                "Type": record["Type"],
                "TTL": 300,
                "ResourceRecords": [{"Value": record["Value"]}],
            },
        )
    return [seen[k] for k in sorted(seen)]


def records_complete(certificate, names):
    """True when ACM has published a validation record for every name (it takes a few seconds)."""
    options = {o["DomainName"]: o for o in certificate.get("DomainValidationOptions") or []}
    return all(options.get(n, {}).get("ResourceRecord") for n in names)


@ACMErrorHandler.list_error_handler("list certificates", [])
@RETRY
def list_certificates(client):
    paginator = client.get_paginator("list_certificates")
    return paginator.paginate(CertificateStatuses=USABLE_STATUSES).build_full_result()["CertificateSummaryList"]


@ACMErrorHandler.list_error_handler("describe certificate")
@RETRY
def describe_certificate(client, arn):
    return client.describe_certificate(CertificateArn=arn)["Certificate"]


@ACMErrorHandler.common_error_handler("request certificate")
@RETRY
def request_certificate(client, domain_name, sans, tags, token):
    return client.request_certificate(
        DomainName=domain_name,
        SubjectAlternativeNames=wanted_names(domain_name, sans),
        ValidationMethod="DNS",
        IdempotencyToken=token,
        Options={"CertificateTransparencyLoggingPreference": "ENABLED"},
        Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
    )["CertificateArn"]


@ACMErrorHandler.common_error_handler("tag certificate")
@RETRY
def add_tags(client, arn, tags):
    client.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@ACMErrorHandler.common_error_handler("untag certificate")
@RETRY
def remove_tags(client, arn, keys):
    client.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": k} for k in sorted(keys)])


@ACMErrorHandler.deletion_error_handler("delete certificate")
@RETRY
def delete_certificate(client, arn):
    client.delete_certificate(CertificateArn=arn)
    return True


def delete_when_released(client, arn, timeout, *, poll=5.0, sleep=time.sleep, clock=time.monotonic):
    """Delete the certificate once ACM no longer counts it in use; False when it was already gone.

    ACM releases a certificate some time after the distribution or load balancer that used it let it
    go (seconds after a load balancer, minutes after CloudFront): until then InUseBy still names the
    resource and DeleteCertificate answers ResourceInUseException. Poll both within `timeout` seconds;
    the caller has made sure that nothing still uses the certificate (`users_still_holding`).
    """
    deadline = clock() + timeout
    while True:
        certificate = describe_certificate(client, arn)
        if certificate is None:
            return False
        users = certificate.get("InUseBy") or []
        if not users:
            try:
                return delete_certificate(client, arn)
            except is_ansible_aws_error_code("ResourceInUseException"):
                users = ["(ACM answered ResourceInUseException)"]
        if clock() >= deadline:
            raise AnsibleACMError(
                message=f"Certificate {arn} is still in use by {users} after {timeout}s: ACM releases a certificate "
                "some minutes after the resource that used it is gone; run again later, or raise wait_timeout"
            )
        sleep(poll)


def _missing(*codes):
    return is_boto3_error_code(list(codes))


@RETRY
def _distribution_certificate(cloudfront, distribution_id):
    try:
        config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    except _missing("NoSuchDistribution"):
        return None
    return (config.get("ViewerCertificate") or {}).get("ACMCertificateArn") or ""


@RETRY
def _load_balancer_certificates(elbv2, load_balancer_arn):
    try:
        listeners = elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=load_balancer_arn)
        listeners = listeners.build_full_result()["Listeners"]
    except _missing("LoadBalancerNotFound"):
        return None
    found = set()
    for listener in listeners:
        if listener.get("Protocol") not in ("HTTPS", "TLS"):
            continue
        found.update(c["CertificateArn"] for c in listener.get("Certificates") or [])
        paginator = elbv2.get_paginator("describe_listener_certificates")
        for page in paginator.paginate(ListenerArn=listener["ListenerArn"]):
            found.update(c["CertificateArn"] for c in page.get("Certificates") or [])
    return found


@ACMErrorHandler.common_error_handler("find out whether the resources in InUseBy still use the certificate")
def users_still_holding(arn, users, cloudfront, elbv2_in):
    """The resources of InUseBy that still use the certificate (as opposed to ACM lagging behind).

    A CloudFront distribution still holds it when it exists and its viewer certificate is this one; a
    load balancer when it exists and one of its listeners serves it. A resource of any other service
    counts as holding it (we cannot ask). `cloudfront` is a client, `elbv2_in(region)` makes one.
    """
    holding = []
    for user in users:
        parts = user.split(":")
        if len(parts) > 5 and parts[2] == "cloudfront" and parts[5].startswith("distribution/"):
            current = _distribution_certificate(cloudfront, parts[5].split("/", 1)[1])
            held = current == arn
        elif len(parts) > 5 and parts[2] == "elasticloadbalancing" and parts[5].startswith("loadbalancer/"):
            current = _load_balancer_certificates(elbv2_in(parts[3]), user)
            held = current is not None and arn in current
        else:
            held = True
        if held:
            holding.append(user)
    return holding


def wait_for_records(client, arn, names, *, timeout=120, poll=2.0, sleep=time.sleep):
    """Describe until ACM lists a validation record for every name; real ACM needs a few seconds."""
    deadline = time.monotonic() + timeout
    while True:
        certificate = describe_certificate(client, arn)
        if certificate and records_complete(certificate, names):
            return certificate
        if time.monotonic() >= deadline:
            raise AnsibleACMError(message=f"ACM published no DNS validation records for {arn} within {timeout}s")
        sleep(poll)


@ACMErrorHandler.common_error_handler("wait for the certificate to be issued")
def wait_issued(client, arn, timeout):
    client.get_waiter("certificate_validated").wait(
        CertificateArn=arn, WaiterConfig={"Delay": 10, "MaxAttempts": max(1, timeout // 10)}
    )


def validation_records_shared(client, arn, names):
    """Names of this certificate's validation CNAMEs that another certificate of the region needs too.

    ACM gives every certificate of an account the same CNAME for the same domain name, so deleting
    ours would break the validation (and renewal) of a certificate that is not ours.
    """
    wanted = set(names)
    shared = set()
    for summary in list_certificates(client):
        if summary["CertificateArn"] == arn:
            continue
        listed = set(summary.get("SubjectAlternativeNameSummaries") or [summary.get("DomainName")])
        if listed & wanted:
            other = describe_certificate(client, summary["CertificateArn"]) or {}
            shared.update(r["Name"] for r in validation_records(other))
    return shared
