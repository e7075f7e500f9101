"""S3 emulator patches: the request's transport in bucket policies, the website endpoint, default encryption.

"gap" tests use moto in this process (unpatched); "fixed" tests go through the harness's emulator.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

SITE = "site-patch"
INDEX = b"<html><body>the app</body></html>"
SPA_ERROR = b"<html><body>not here</body></html>"


@pytest.fixture(autouse=True)
def _gap_tests_use_plain_moto(request, monkeypatch):
    if request.node.name.startswith("test_gap"):
        for var in ("AWS_ENDPOINT_URL", "AWS_URL"):
            monkeypatch.delenv(var, raising=False)


def _get(endpoint, path, host, method="GET", headers=None):
    """A plain-HTTP, anonymous request to `host` (the emulator answers for every AWS host name)."""
    req = urllib.request.Request(endpoint + path, headers={"Host": host, **(headers or {})}, method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _public_read(bucket, *extra):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadGetObject",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                },
                *extra,
            ],
        }
    )


def _tls_deny(bucket, **action):
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        **(action or {"Action": "s3:*"}),
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _website(s3, bucket=SITE, region="us-east-1", **config):
    kwargs = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration=config
        or {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}},
    )
    s3.put_object(Bucket=bucket, Key="index.html", Body=INDEX, ContentType="text/html", CacheControl="no-cache")
    s3.put_object(Bucket=bucket, Key="error.html", Body=SPA_ERROR, ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=b"docs", ContentType="text/html")


HOST = f"{SITE}.s3-website-us-east-1.amazonaws.com"


# ---- the website endpoint


def test_gap_plain_moto_lists_the_bucket_for_a_website_host():
    from moto import mock_aws
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        _website(s3)
        s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE))
        call = getattr(DomainDispatcherApplication.__call__, "__wrapped__", DomainDispatcherApplication.__call__)

        class Plain(DomainDispatcherApplication):
            __call__ = call

        response = Client(Plain(create_backend_app)).get("/", headers={"Host": HOST})
        assert b"ListBucketResult" in response.data and INDEX not in response.data


def test_fixed_website_serves_the_index_anonymously_over_http(clean_emulator):
    s3 = boto3.client("s3")
    _website(s3)
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE))
    status, headers, body = _get(clean_emulator, "/", HOST)
    assert (status, body) == (200, INDEX)
    assert headers["content-type"] == "text/html" and headers["cache-control"] == "no-cache"
    assert headers["ETag"].strip('"')
    status, headers, body = _get(clean_emulator, "/index.html", HOST, method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", str(len(INDEX)))
    assert _get(clean_emulator, "/docs/", HOST)[2] == b"docs"
    status, headers, _ = _get(clean_emulator, "/docs", HOST)
    assert (status, headers["Location"]) == (302, "/docs/")
    status, _, body = _get(clean_emulator, "/index.html", HOST, method="PUT")
    assert status == 405 and b"MethodNotAllowed" in body


def test_fixed_website_missing_key_is_403_without_list_rights_and_404_with_them(clean_emulator):
    s3 = boto3.client("s3")
    _website(s3)
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE))
    assert _get(clean_emulator, "/no/such/route", HOST)[::2] == (403, SPA_ERROR)
    list_bucket = {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{SITE}"}
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE, list_bucket))
    assert _get(clean_emulator, "/no/such/route", HOST)[::2] == (404, SPA_ERROR)
    s3.delete_object(Bucket=SITE, Key="error.html")
    status, _, body = _get(clean_emulator, "/no/such/route", HOST)
    assert status == 404 and b"NoSuchKey" in body and b"Custom Error Document" in body


def test_fixed_website_refuses_what_aws_refuses(clean_emulator):
    s3 = boto3.client("s3")
    _website(s3)
    # No policy: nothing is public.
    assert _get(clean_emulator, "/", HOST)[0] == 403
    # The usual TLS-only statement denies the website endpoint too: it is plain HTTP.
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE, _tls_deny(SITE)))
    status, _, body = _get(clean_emulator, "/", HOST)
    assert status == 403 and b"AccessDenied" in body
    # Sparing s3:GetObject from it serves the site again.
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE, _tls_deny(SITE, NotAction="s3:GetObject")))
    assert _get(clean_emulator, "/", HOST)[::2] == (200, INDEX)
    # RestrictPublicBuckets voids a public policy's grants.
    s3.put_public_access_block(
        Bucket=SITE,
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "RestrictPublicBuckets")
        }
        | {"BlockPublicPolicy": False},
    )
    assert _get(clean_emulator, "/", HOST)[0] == 403
    # A grant limited to another address does not reach this client; a Deny on a key the model lacks applies.
    s3.delete_public_access_block(Bucket=SITE)
    only_elsewhere = json.loads(_public_read(SITE))
    only_elsewhere["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    s3.put_bucket_policy(Bucket=SITE, Policy=json.dumps(only_elsewhere))
    assert _get(clean_emulator, "/", HOST)[0] == 403
    unknown = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SITE}/*"}
    unknown["Condition"] = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE, unknown))
    assert _get(clean_emulator, "/", HOST)[0] == 403


def test_fixed_website_endpoint_form_follows_the_region(clean_emulator):
    s3 = boto3.client("s3")
    _website(s3)
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE))
    assert _get(clean_emulator, "/", f"{SITE}.s3-website.us-east-1.amazonaws.com")[0] == 404
    assert _get(clean_emulator, "/", f"{SITE}.s3-website-eu-west-1.amazonaws.com")[0] == 404
    frankfurt = "site-patch-fra"
    _website(boto3.client("s3", region_name="eu-central-1"), bucket=frankfurt, region="eu-central-1")
    boto3.client("s3", region_name="eu-central-1").put_bucket_policy(Bucket=frankfurt, Policy=_public_read(frankfurt))
    assert _get(clean_emulator, "/", f"{frankfurt}.s3-website.eu-central-1.amazonaws.com")[::2] == (200, INDEX)
    assert _get(clean_emulator, "/", f"{frankfurt}.s3-website-eu-central-1.amazonaws.com")[0] == 404
    status, _, body = _get(clean_emulator, "/", "nothing-here.s3-website-us-east-1.amazonaws.com")
    assert status == 404 and b"NoSuchBucket" in body


def test_fixed_website_redirects(clean_emulator):
    s3 = boto3.client("s3")
    _website(
        s3,
        IndexDocument={"Suffix": "index.html"},
        RoutingRules=[
            {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "docs/"}},
            {
                "Condition": {"HttpErrorCodeReturnedEquals": "403"},
                "Redirect": {"HostName": "example.com", "ReplaceKeyPrefixWith": "#!/"},
            },
        ],
    )
    s3.put_bucket_policy(Bucket=SITE, Policy=_public_read(SITE))
    s3.put_object(Bucket=SITE, Key="moved.html", Body=b"", WebsiteRedirectLocation="/index.html")
    status, headers, _ = _get(clean_emulator, "/old/page.html", HOST)
    assert (status, headers["Location"]) == (301, f"http://{HOST}/docs/page.html")
    status, headers, _ = _get(clean_emulator, "/app/route", HOST)
    assert (status, headers["Location"]) == (301, "http://example.com/#!/app/route")
    status, headers, _ = _get(clean_emulator, "/moved.html", HOST)
    assert (status, headers["Location"]) == (301, "/index.html")
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "www.example.com"}})
    status, headers, _ = _get(clean_emulator, "/a?b=1", HOST)
    assert (status, headers["Location"]) == (301, "http://www.example.com/a?b=1")


# ---- the API port: TLS unless a proxy says otherwise; statements for AWS services do not apply to callers


def _client_over_http():
    """An S3 client whose requests arrive as if relayed from a plain-HTTP viewer."""
    s3 = boto3.client("s3")
    s3.meta.events.register(
        "before-sign.s3.*", lambda request, **_: request.headers.add_header("X-Forwarded-Proto", "http")
    )
    return s3


def test_fixed_tls_only_policy_refuses_plain_http_on_the_api(clean_emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="tls-api")
    s3.put_bucket_policy(
        Bucket="tls-api", Policy=json.dumps({"Version": "2012-10-17", "Statement": [_tls_deny("tls-api")]})
    )
    s3.put_object(Bucket="tls-api", Key="k", Body=b"x")
    with pytest.raises(ClientError) as err:
        _client_over_http().put_object(Bucket="tls-api", Key="k2", Body=b"x")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _cloudfront_grant(bucket):
    """The OAC statement: CloudFront may read, for one distribution."""
    return {
        "Sid": "AllowCloudFrontOACRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}},
    }


def test_gap_plain_moto_takes_a_services_conditional_grant_for_any_caller():
    from moto.iam.access_control import IAMPolicy, PermissionResult

    policy = {"Statement": [_cloudfront_grant("oac-patch")]}
    result = IAMPolicy(json.dumps(policy)).is_action_permitted("s3:GetObject", "arn:aws:s3:::oac-patch/k")
    assert result == PermissionResult.PERMITTED


def test_fixed_a_services_grant_reaches_neither_anonymous_callers_nor_denies_the_owner(clean_emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="oac-patch")
    policy = {"Version": "2012-10-17", "Statement": [_cloudfront_grant("oac-patch")]}
    s3.put_bucket_policy(Bucket="oac-patch", Policy=json.dumps(policy))
    s3.put_object(Bucket="oac-patch", Key="k", Body=b"x")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{clean_emulator}/oac-patch/k", timeout=30)
    assert err.value.code == 403
    assert s3.get_object(Bucket="oac-patch", Key="k")["Body"].read() == b"x"
    s3.delete_objects(Bucket="oac-patch", Delete={"Objects": [{"Key": "k"}]})
    assert "Contents" not in s3.list_objects_v2(Bucket="oac-patch")


# ---- default encryption: SSE-S3, SSE-C blocked since 2026


def test_gap_plain_moto_new_bucket_has_no_default_encryption():
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="enc")
        with pytest.raises(ClientError, match="ServerSideEncryptionConfigurationNotFoundError"):
            s3.get_bucket_encryption(Bucket="enc")


def _rule(s3, bucket):
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    return rule


def test_fixed_new_bucket_reports_sse_s3_and_blocked_sse_c(clean_emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="enc")
    assert _rule(s3, "enc") == {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": False,
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
    }
    kms = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket="enc", ServerSideEncryptionConfiguration={"Rules": [kms]})
    assert _rule(s3, "enc") == dict(kms, BlockedEncryptionTypes={"EncryptionType": ["SSE-C"]})
    s3.put_bucket_encryption(
        Bucket="enc",
        ServerSideEncryptionConfiguration={"Rules": [dict(kms, BlockedEncryptionTypes={"EncryptionType": ["NONE"]})]},
    )
    assert _rule(s3, "enc")["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}
    s3.delete_bucket_encryption(Bucket="enc")
    assert _rule(s3, "enc")["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert _rule(s3, "enc")["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}


def test_fixed_buckets_in_bahrain_still_allow_sse_c(clean_emulator):
    s3 = boto3.client("s3", region_name="me-south-1")
    s3.create_bucket(Bucket="enc-bah", CreateBucketConfiguration={"LocationConstraint": "me-south-1"})
    assert "BlockedEncryptionTypes" not in _rule(s3, "enc-bah")


# ---- PutBucketLogging: the target's policy, as AWS reads it


def _logs_target(s3, bucket, condition_account):
    s3.create_bucket(Bucket=bucket)
    grant = {
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/s3/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": condition_account}},
    }
    policy = {"Version": "2012-10-17", "Statement": [_tls_deny(bucket), grant]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def test_gap_plain_moto_fails_on_a_target_policy_with_a_wildcard_principal():
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        _logs_target(s3, "logs-gap", "123456789012")
        s3.create_bucket(Bucket="src-gap")
        # In this process moto's crash surfaces as the AttributeError; its server answers 500.
        with pytest.raises(AttributeError, match="'str' object has no attribute 'get'"):
            s3.put_bucket_logging(
                Bucket="src-gap",
                BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "logs-gap", "TargetPrefix": "s3/src-gap/"}},
            )


def test_fixed_logging_target_policy_is_read_with_wildcards_and_conditions(clean_emulator):
    s3 = boto3.client("s3")
    account = boto3.client("sts").get_caller_identity()["Account"]
    _logs_target(s3, "logs-fixed", account)
    s3.create_bucket(Bucket="src-fixed")
    status = {"LoggingEnabled": {"TargetBucket": "logs-fixed", "TargetPrefix": "s3/src-fixed/"}}
    s3.put_bucket_logging(Bucket="src-fixed", BucketLoggingStatus=status)
    assert s3.get_bucket_logging(Bucket="src-fixed")["LoggingEnabled"] == status["LoggingEnabled"]
    # A prefix the grant does not cover, or a grant for another account, is refused.
    outside = {"LoggingEnabled": {"TargetBucket": "logs-fixed", "TargetPrefix": "elsewhere/"}}
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(Bucket="src-fixed", BucketLoggingStatus=outside)
    _logs_target(s3, "logs-other", "999999999999")
    other = {"LoggingEnabled": {"TargetBucket": "logs-other", "TargetPrefix": "s3/src-fixed/"}}
    with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
        s3.put_bucket_logging(Bucket="src-fixed", BucketLoggingStatus=other)


# ---- WAFv2 logging destinations


def _acl(waf):
    return waf.create_web_acl(
        Name="patch-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"},
    )["Summary"]["ARN"]


def test_gap_plain_moto_takes_any_waf_log_destination():
    from moto import mock_aws

    with mock_aws():
        waf = boto3.client("wafv2", region_name="us-east-1")
        arn = _acl(waf)
        waf.put_logging_configuration(
            LoggingConfiguration={"ResourceArn": arn, "LogDestinationConfigs": ["arn:aws:s3:::any-bucket"]}
        )


def test_fixed_waf_logs_only_to_an_existing_aws_waf_logs_destination(clean_emulator):
    waf = boto3.client("wafv2", region_name="us-east-1")
    logs = boto3.client("logs", region_name="us-east-1")
    account = boto3.client("sts").get_caller_identity()["Account"]
    arn = _acl(waf)
    group = f"arn:aws:logs:us-east-1:{account}:log-group:aws-waf-logs-patch"
    for destination, code in (
        ("arn:aws:s3:::any-bucket", "WAFInvalidParameterException"),
        (f"arn:aws:logs:us-east-1:{account}:log-group:app-logs", "WAFInvalidParameterException"),
        (group, "WAFNonexistentItemException"),  # not created yet
    ):
        with pytest.raises(ClientError) as err:
            waf.put_logging_configuration(
                LoggingConfiguration={"ResourceArn": arn, "LogDestinationConfigs": [destination]}
            )
        assert err.value.response["Error"]["Code"] == code
    logs.create_log_group(logGroupName="aws-waf-logs-patch")
    waf.put_logging_configuration(LoggingConfiguration={"ResourceArn": arn, "LogDestinationConfigs": [group]})
    assert waf.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]["LogDestinationConfigs"] == [group]
