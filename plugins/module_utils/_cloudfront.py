# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudFront web distributions (OAC, response headers policy, distribution, origin bucket policy).

API wrappers with retry and error handling, and pure functions that build the desired configuration
and compare it with the current one, field by field, only where we manage it.
"""

from __future__ import annotations


from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._compare import is_subset

RETRY = AWSRetry.jittered_backoff(retries=8, delay=1)

# AWS-managed policies, referenced by id (the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
OAC_STATEMENT_SID = "AllowCloudFrontOACRead"


class AnsibleCloudFrontError(AnsibleAWSError):
    pass


class CloudFrontErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCloudFrontError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "NoSuchDistribution",
                "NoSuchOriginAccessControl",
                "NoSuchResponseHeadersPolicy",
                "NoSuchFunctionExists",
                "ResourceNotFoundException",
            ]
        )


def _items(values):
    return {"Quantity": len(values), "Items": list(values)}


def oac_config(name):
    return {
        "Name": name,
        "Description": "illustra.webstack: CloudFront signs every request to the private bucket",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }


def response_headers_policy_config(name, headers):
    """Security headers: HSTS, nosniff, frame options, referrer policy and CSP, overriding the origin's."""
    return {
        "Name": name,
        "Comment": "illustra.webstack security headers",
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {
                "Override": True,
                "IncludeSubdomains": bool(headers["hsts_include_subdomains"]),
                "Preload": bool(headers["hsts_preload"]),
                "AccessControlMaxAgeSec": int(headers["hsts_max_age"]),
            },
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": headers["frame_option"]},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": headers["referrer_policy"]},
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": headers["content_security_policy"]},
            "XSSProtection": {"Override": True, "Protection": True, "ModeBlock": True},
        },
    }


FUNCTION_RUNTIME = "cloudfront-js-2.0"


def function_config(comment):
    """The configuration of a CloudFront Function (the code travels beside it)."""
    return {"Comment": comment, "Runtime": FUNCTION_RUNTIME}


def _behavior(
    origin_id,
    viewer_policy,
    *,
    methods,
    cached,
    cache_policy,
    headers_policy_id,
    path=None,
    request_policy=None,
    viewer_request_function_arn=None,
):
    behavior = {
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": viewer_policy,
        "AllowedMethods": dict(_items(methods), CachedMethods=_items(cached)),
        "Compress": True,
        "CachePolicyId": cache_policy,
        "FunctionAssociations": _items(
            [{"FunctionARN": viewer_request_function_arn, "EventType": "viewer-request"}]
            if viewer_request_function_arn
            else []
        ),
    }
    if path:
        behavior = dict({"PathPattern": path}, **behavior)
    if request_policy:
        behavior["OriginRequestPolicyId"] = request_policy
    if headers_policy_id:
        behavior["ResponseHeadersPolicyId"] = headers_policy_id
    return behavior


def distribution_config(p, oac_id, headers_policy_id, viewer_request_function_arn=None):
    """The managed part of the DistributionConfig from the module parameters (`p`).

    Error responses are left to the origins unless `spa_fallback` asks for the old mapping: turning every
    403 and 404 into the app with status 200 also turns WAF blocks and API errors into the app. The
    single-page app is routed by the viewer-request function instead (paths without an extension).
    """
    s3_origin_id = f"s3-{p['origin_bucket_name']}"
    origins = [
        {
            "Id": s3_origin_id,
            "DomainName": p["origin_domain_name"],
            "OriginPath": "",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
            "OriginAccessControlId": oac_id or "",
        }
    ]
    behaviors = []
    if p.get("api_origin_domain_name"):
        origins.append(
            {
                "Id": "api",
                "DomainName": p["api_origin_domain_name"],
                "OriginPath": "",
                "CustomOriginConfig": {
                    "HTTPPort": 80,
                    "HTTPSPort": 443,
                    "OriginProtocolPolicy": p["api_origin_protocol_policy"],
                    "OriginSslProtocols": _items(["TLSv1.2"]),
                    "OriginReadTimeout": 30,
                    "OriginKeepaliveTimeout": 5,
                },
                "CustomHeaders": _items(
                    [
                        {"HeaderName": k, "HeaderValue": v}
                        for k, v in sorted((p.get("api_origin_custom_headers") or {}).items())
                    ]
                ),
            }
        )
        behaviors.append(
            _behavior(
                "api",
                "redirect-to-https",
                methods=ALL_METHODS,
                cached=["GET", "HEAD"],
                cache_policy=CACHING_DISABLED,
                headers_policy_id=headers_policy_id,
                path=p["api_path_pattern"],
                request_policy=ALL_VIEWER_EXCEPT_HOST_HEADER,
            )
        )
    if p.get("acm_certificate_arn"):
        viewer_certificate = {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": p["acm_certificate_arn"],
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": p["minimum_protocol_version"],
        }
    else:
        # The *.cloudfront.net certificate: AWS fixes its TLS policy, so there is nothing more to manage.
        viewer_certificate = {"CloudFrontDefaultCertificate": True}
    errors = []
    if p["spa_fallback"]:
        errors = [
            {
                "ErrorCode": code,
                "ResponsePagePath": "/" + p["default_root_object"],
                "ResponseCode": "200",
                "ErrorCachingMinTTL": 10,
            }
            for code in (403, 404)
        ]
    return {
        "Comment": p["name"],
        "Enabled": True,
        "Aliases": _items(p.get("aliases") or []),
        "DefaultRootObject": p["default_root_object"],
        "Origins": _items(origins),
        "DefaultCacheBehavior": _behavior(
            s3_origin_id,
            "redirect-to-https",
            methods=["GET", "HEAD", "OPTIONS"],
            cached=["GET", "HEAD"],
            cache_policy=CACHING_OPTIMIZED,
            headers_policy_id=headers_policy_id,
            viewer_request_function_arn=viewer_request_function_arn,
        ),
        "CacheBehaviors": _items(behaviors),
        "CustomErrorResponses": _items(errors),
        "ViewerCertificate": viewer_certificate,
        "PriceClass": p["price_class"],
        "HttpVersion": p["http_version"],
        "IsIPV6Enabled": True,
        "WebACLId": p.get("web_acl_arn") or "",
    }


def redacted(config):
    """A copy of a distribution config safe to show: origin custom header values (shared secrets) hidden."""
    if isinstance(config, dict):
        return {k: ("VALUE_HIDDEN" if k == "HeaderValue" else redacted(v)) for k, v in config.items()}
    if isinstance(config, list):
        return [redacted(v) for v in config]
    return config


def _normalise_quantities(config):
    """AWS omits `Items` when Quantity is 0; make both forms compare equal."""
    if isinstance(config, dict):
        out = {k: _normalise_quantities(v) for k, v in config.items()}
        if out.get("Quantity") == 0 and not out.get("Items"):
            out["Items"] = []
        items = out.get("Items")
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            # AWS returns methods, aliases and protocols in its own order; order carries no meaning there.
            out["Items"] = sorted(items)
        return out
    if isinstance(config, list):
        return [_normalise_quantities(v) for v in config]
    return config


def config_differences(desired, current):
    """The top-level DistributionConfig keys whose managed content differs."""
    desired = _normalise_quantities(desired)
    current = _normalise_quantities(current or {})
    return sorted(k for k, v in desired.items() if not is_subset(v, current.get(k)))


def merged_config(desired, current):
    """The full config to send on update: the current one with the managed keys replaced."""
    merged = dict(current)
    merged.update(desired)
    return merged


def oac_statement(bucket_name, distribution_arn):
    return {
        "Sid": OAC_STATEMENT_SID,
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket_name}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


# ---- API wrappers -------------------------------------------------------------------------------


@CloudFrontErrorHandler.list_error_handler("list origin access controls", [])
@RETRY
def list_oacs(client):
    items, marker = [], None
    while True:
        resp = client.list_origin_access_controls(**({"Marker": marker} if marker else {}))["OriginAccessControlList"]
        items.extend(resp.get("Items") or [])
        marker = resp.get("NextMarker")
        if not resp.get("IsTruncated") or not marker:
            return items


@CloudFrontErrorHandler.list_error_handler("get origin access control", (None, None))
@RETRY
def get_oac(client, oac_id):
    resp = client.get_origin_access_control(Id=oac_id)
    return resp["OriginAccessControl"], resp["ETag"]


@CloudFrontErrorHandler.common_error_handler("create origin access control")
@RETRY
def create_oac(client, config):
    return client.create_origin_access_control(OriginAccessControlConfig=config)["OriginAccessControl"]


@CloudFrontErrorHandler.common_error_handler("update origin access control")
@RETRY
def update_oac(client, oac_id, config, etag):
    return client.update_origin_access_control(Id=oac_id, IfMatch=etag, OriginAccessControlConfig=config)


@CloudFrontErrorHandler.deletion_error_handler("delete origin access control")
@RETRY
def delete_oac(client, oac_id, etag):
    client.delete_origin_access_control(Id=oac_id, IfMatch=etag)
    return True


@CloudFrontErrorHandler.list_error_handler("list response headers policies", [])
@RETRY
def list_response_headers_policies(client):
    items, marker = [], None
    while True:
        kwargs = {"Type": "custom"}
        if marker:
            kwargs["Marker"] = marker
        resp = client.list_response_headers_policies(**kwargs)["ResponseHeadersPolicyList"]
        items.extend(i["ResponseHeadersPolicy"] for i in resp.get("Items") or [])
        marker = resp.get("NextMarker")
        if not marker:
            return items


@CloudFrontErrorHandler.list_error_handler("get response headers policy", (None, None))
@RETRY
def get_response_headers_policy(client, policy_id):
    resp = client.get_response_headers_policy(Id=policy_id)
    return resp["ResponseHeadersPolicy"], resp["ETag"]


@CloudFrontErrorHandler.common_error_handler("create response headers policy")
@RETRY
def create_response_headers_policy(client, config):
    return client.create_response_headers_policy(ResponseHeadersPolicyConfig=config)["ResponseHeadersPolicy"]


@CloudFrontErrorHandler.common_error_handler("update response headers policy")
@RETRY
def update_response_headers_policy(client, policy_id, config, etag):
    return client.update_response_headers_policy(Id=policy_id, IfMatch=etag, ResponseHeadersPolicyConfig=config)


@CloudFrontErrorHandler.deletion_error_handler("delete response headers policy")
@RETRY
def delete_response_headers_policy(client, policy_id, etag):
    client.delete_response_headers_policy(Id=policy_id, IfMatch=etag)
    return True


@CloudFrontErrorHandler.list_error_handler("describe function", (None, None))
@RETRY
def describe_function(client, name, stage):
    """(FunctionSummary, ETag) of a function's DEVELOPMENT or LIVE stage; (None, None) when it has none."""
    resp = client.describe_function(Name=name, Stage=stage)
    return resp["FunctionSummary"], resp["ETag"]


@CloudFrontErrorHandler.list_error_handler("get function", (None, None))
@RETRY
def get_function_code(client, name, stage):
    resp = client.get_function(Name=name, Stage=stage)
    return resp["FunctionCode"].read(), resp["ETag"]


@CloudFrontErrorHandler.common_error_handler("create function")
@RETRY
def create_function(client, name, config, code):
    resp = client.create_function(Name=name, FunctionConfig=config, FunctionCode=code)
    return resp["FunctionSummary"], resp["ETag"]


@CloudFrontErrorHandler.common_error_handler("update function")
@RETRY
def update_function(client, name, config, code, etag):
    return client.update_function(Name=name, IfMatch=etag, FunctionConfig=config, FunctionCode=code)["ETag"]


@CloudFrontErrorHandler.common_error_handler("publish function")
@RETRY
def publish_function(client, name, etag):
    return client.publish_function(Name=name, IfMatch=etag)["FunctionSummary"]


@CloudFrontErrorHandler.deletion_error_handler("delete function")
@RETRY
def delete_function(client, name, etag):
    client.delete_function(Name=name, IfMatch=etag)
    return True


# ---- standard logs (v2): CloudWatch Logs' vended-logs delivery, in us-east-1 with the distribution ----


@CloudFrontErrorHandler.list_error_handler("get delivery source")
@RETRY
def get_delivery_source(logs, name):
    return logs.get_delivery_source(name=name)["deliverySource"]


@CloudFrontErrorHandler.common_error_handler("put delivery source")
@RETRY
def put_delivery_source(logs, name, resource_arn, tags):
    logs.put_delivery_source(name=name, resourceArn=resource_arn, logType="ACCESS_LOGS", tags=tags)


@CloudFrontErrorHandler.deletion_error_handler("delete delivery source")
@RETRY
def delete_delivery_source(logs, name):
    logs.delete_delivery_source(name=name)
    return True


@CloudFrontErrorHandler.list_error_handler("get delivery destination")
@RETRY
def get_delivery_destination(logs, name):
    return logs.get_delivery_destination(name=name)["deliveryDestination"]


@CloudFrontErrorHandler.common_error_handler("put delivery destination")
@RETRY
def put_delivery_destination(logs, name, destination_arn, tags):
    return logs.put_delivery_destination(
        name=name, deliveryDestinationConfiguration={"destinationResourceArn": destination_arn}, tags=tags
    )["deliveryDestination"]


@CloudFrontErrorHandler.deletion_error_handler("delete delivery destination")
@RETRY
def delete_delivery_destination(logs, name):
    logs.delete_delivery_destination(name=name)
    return True


@CloudFrontErrorHandler.list_error_handler("describe deliveries", [])
@RETRY
def describe_deliveries(logs):
    items, token = [], None
    while True:
        resp = logs.describe_deliveries(**({"nextToken": token} if token else {}))
        items.extend(resp.get("deliveries") or [])
        token = resp.get("nextToken")
        if not token:
            return items


@CloudFrontErrorHandler.common_error_handler("create delivery")
@RETRY
def create_delivery(logs, source_name, destination_arn, tags):
    logs.create_delivery(deliverySourceName=source_name, deliveryDestinationArn=destination_arn, tags=tags)


@CloudFrontErrorHandler.deletion_error_handler("delete delivery")
@RETRY
def delete_delivery(logs, delivery_id):
    logs.delete_delivery(id=delivery_id)
    return True


@CloudFrontErrorHandler.list_error_handler("list distributions", [])
@RETRY
def list_distributions(client):
    paginator = client.get_paginator("list_distributions")
    items = []
    for page in paginator.paginate():
        items.extend(page["DistributionList"].get("Items") or [])
    return items


@CloudFrontErrorHandler.list_error_handler("get distribution", (None, None))
@RETRY
def get_distribution(client, distribution_id):
    resp = client.get_distribution(Id=distribution_id)
    return resp["Distribution"], resp["ETag"]


@CloudFrontErrorHandler.common_error_handler("create distribution")
@RETRY
def create_distribution(client, config, tags):
    resp = client.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": config,
            "Tags": {"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]},
        }
    )
    return resp["Distribution"]


@CloudFrontErrorHandler.common_error_handler("update distribution")
@RETRY
def update_distribution(client, distribution_id, config, etag):
    return client.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=config)["Distribution"]


@CloudFrontErrorHandler.common_error_handler("tag distribution")
@RETRY
def tag_resource(client, arn, tags):
    client.tag_resource(Resource=arn, Tags={"Items": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})


@CloudFrontErrorHandler.common_error_handler("untag distribution")
@RETRY
def untag_resource(client, arn, keys):
    client.untag_resource(Resource=arn, TagKeys={"Items": sorted(keys)})


@CloudFrontErrorHandler.deletion_error_handler("delete distribution")
@RETRY
def delete_distribution(client, distribution_id, etag):
    client.delete_distribution(Id=distribution_id, IfMatch=etag)
    return True


@CloudFrontErrorHandler.common_error_handler("wait for the distribution to deploy")
def wait_deployed(client, distribution_id, timeout):
    client.get_waiter("distribution_deployed").wait(
        Id=distribution_id, WaiterConfig={"Delay": 15, "MaxAttempts": max(1, timeout // 15)}
    )
