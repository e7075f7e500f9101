#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloudfront_web_distribution
short_description: A CloudFront distribution for a single-page app in a private S3 bucket (OAC, security headers, WAF)
version_added: 0.1.0
description:
  - Manages, in one task, everything between viewers and the website bucket
    (1) an Origin Access Control, (2) a response headers policy with HSTS, X-Content-Type-Options,
    X-Frame-Options, Referrer-Policy and Content-Security-Policy, (3) the distribution itself and
    (4) the bucket policy statement that lets exactly this distribution read the bucket.
  - The distribution is found by its C(Name) tag (its C(Comment) is the same name, which narrows the
    search). Only the fields this module manages are compared, so a second run reports no change, and
    an update keeps every other field of the current configuration.
  - HTTPS only (HTTP redirects), HTTP/2 and HTTP/3, IPv6, compression, C(/api/*) to an optional API origin
    (the ALB) without caching.
  - Single-page app routing without masking errors - a CloudFront Function (O(viewer_request_function_code),
    C(cloudfront-js-2.0)) on the default behavior's viewer-request, created, published (LIVE) and associated
    by this module; error responses stay as the origins and WAF give them.
author:
  - illustra.webstack developers (@illustra)
options:
  name:
    description: Name of the distribution (C(Name) tag and C(Comment)); also the prefix of the OAC and policy names.
    type: str
    required: true
  origin_bucket_name:
    description: Name of the private S3 bucket that holds the website.
    type: str
    required: true
  origin_domain_name:
    description:
      - Regional domain name of the bucket (C(<bucket>.s3.<region>.amazonaws.com)).
    type: str
    required: true
  manage_bucket_policy:
    description:
      - Add (or with O(state=absent) remove) the bucket policy statement that lets this distribution read the bucket.
    type: bool
    default: true
  api_origin_domain_name:
    description: DNS name of the API origin (the ALB). When omitted there is no API origin or behavior.
    type: str
  api_origin_protocol_policy:
    description: How CloudFront connects to the API origin. C(https-only) needs a certificate on the ALB.
    type: str
    default: https-only
    choices: [https-only, http-only, match-viewer]
  api_origin_custom_headers:
    description:
      - Headers CloudFront adds to every request to the API origin, as a name-to-value dict; typically a shared
        secret the ALB requires (C(X-Origin-Verify)) so that only CloudFront reaches it. Values are hidden in output.
    type: dict
  api_path_pattern:
    description: Path pattern routed to the API origin.
    type: str
    default: /api/*
  aliases:
    description: Alternate domain names (CNAMEs). Require O(acm_certificate_arn).
    type: list
    elements: str
    default: []
  acm_certificate_arn:
    description: ARN of an ISSUED ACM certificate in C(us-east-1) that covers O(aliases).
    type: str
  minimum_protocol_version:
    description: Minimum TLS version for viewers when a custom certificate is used.
    type: str
    default: TLSv1.2_2021
    choices: [TLSv1.2_2019, TLSv1.2_2021]
  web_acl_arn:
    description: ARN of a WAFv2 web ACL of scope CLOUDFRONT. Empty means none.
    type: str
  price_class:
    description: CloudFront price class.
    type: str
    default: PriceClass_100
    choices: [PriceClass_100, PriceClass_200, PriceClass_All]
  http_version:
    description: Highest HTTP version viewers may use.
    type: str
    default: http2and3
    choices: [http2, http2and3, http3]
  default_root_object:
    description: Object served for C(/), and the SPA fallback page.
    type: str
    default: index.html
  spa_fallback:
    description:
      - Answer every 403 and 404 with the root object and status 200 (the old way to route a single-page app).
      - It masks errors - a WAF block and an API error reach the viewer as the app with status 200. Prefer
        O(viewer_request_function_code).
    type: bool
    default: false
  viewer_request_function_code:
    description:
      - JavaScript (runtime C(cloudfront-js-2.0)) of a CloudFront Function named C(<name>-viewer-request) that
        the default behavior runs on viewer-request, for example to route a single-page app's client-side paths
        to the root object. The module creates it, updates it when the code differs, publishes it (LIVE) and
        associates it.
      - When omitted, the default behavior runs no function and a function of that name is deleted.
    type: str
  security_headers:
    description: The security headers of the response headers policy.
    type: dict
    default: {}
    suboptions:
      content_security_policy:
        description: The Content-Security-Policy header value.
        type: str
        default: >-
          default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none';
          base-uri 'self'; frame-ancestors 'none'
      hsts_max_age:
        description: Strict-Transport-Security max-age, in seconds.
        type: int
        default: 63072000
      hsts_include_subdomains:
        description: Add C(includeSubDomains) to Strict-Transport-Security.
        type: bool
        default: true
      hsts_preload:
        description: Add C(preload) to Strict-Transport-Security.
        type: bool
        default: false
      frame_option:
        description: X-Frame-Options.
        type: str
        default: DENY
        choices: [DENY, SAMEORIGIN]
      referrer_policy:
        description: Referrer-Policy.
        type: str
        default: strict-origin-when-cross-origin
        choices:
          - no-referrer
          - no-referrer-when-downgrade
          - origin
          - origin-when-cross-origin
          - same-origin
          - strict-origin
          - strict-origin-when-cross-origin
          - unsafe-url
  tags:
    description: Tags of the distribution; the C(Name) tag is set from O(name).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
  access_logs_bucket_arn:
    description:
      - ARN of an S3 bucket that receives the distribution's standard logs (v2, CloudWatch Logs' vended-logs
        delivery - a delivery source C(<name>-access-logs) in C(us-east-1), a destination C(<name>-access-logs-s3)
        and the delivery between them). The bucket's policy must let C(delivery.logs.amazonaws.com) write.
      - Unlike legacy logging, v2 needs no ACLs, so the bucket stays C(BucketOwnerEnforced).
      - When omitted, the distribution has no such delivery (one of those names is removed).
    type: str
  wait:
    description:
      - Wait until the distribution is deployed after a change. With O(state=absent) the module always
        waits for the disabled distribution to deploy, as CloudFront requires before deletion.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1800
  state:
    description: C(present) or C(absent) (disables, waits, deletes the distribution, then its OAC and policy).
    type: str
    default: present
    choices: [present, absent]
attributes:
  check_mode:
    description: Reads the current state and reports what would change without changing anything.
    support: full
  diff_mode:
    description: Returns the managed settings before and after the change.
    support: full
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve the website bucket through CloudFront
  illustra.webstack.cloudfront_web_distribution:
    name: illustra-prod-frontend
    origin_bucket_name: illustra-prod-frontend
    origin_domain_name: illustra-prod-frontend.s3.us-east-1.amazonaws.com
    api_origin_domain_name: illustra-prod-alb-123.us-east-1.elb.amazonaws.com
    aliases: [example.com, www.example.com]
    acm_certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc
    web_acl_arn: arn:aws:wafv2:us-east-1:123456789012:global/webacl/illustra-prod-edge/abc
    tags:
      Project: illustra
"""

RETURN = r"""
distribution:
  description: The distribution (ids are null in check mode when it would be created).
  returned: always
  type: dict
  contains:
    id:
      description: Distribution id.
      type: str
    arn:
      description: Distribution ARN.
      type: str
    domain_name:
      description: The C(*.cloudfront.net) name, the alias target.
      type: str
    status:
      description: C(InProgress) or C(Deployed).
      type: str
    oac_id:
      description: Id of the Origin Access Control.
      type: str
    response_headers_policy_id:
      description: Id of the response headers policy.
      type: str
    viewer_request_function_arn:
      description: ARN of the viewer-request function (null without one, or in check mode before it exists).
      type: str
    changed_fields:
      description: The DistributionConfig fields that differed from the desired ones.
      type: list
      elements: str
    tags:
      description: Tags.
      type: dict
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.illustra.webstack.plugins.module_utils import _bucket_policy as bucket_policy
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudfront as cf
from ansible_collections.illustra.webstack.plugins.module_utils._compare import is_subset
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


def find_oac(client, name):
    for item in cf.list_oacs(client):
        if item.get("Name") == name:
            return item
    return None


def find_headers_policy(client, name):
    for item in cf.list_response_headers_policies(client):
        if item["ResponseHeadersPolicyConfig"].get("Name") == name:
            return item
    return None


def find_distribution(client, name):
    """The distribution whose Name tag is `name` (Comment narrows the search to few tag reads)."""
    for summary in cf.list_distributions(client):
        if summary.get("Comment") != name:
            continue
        tags = get_tags(client, summary["ARN"])
        if tags.get("Name") == name:
            return summary, tags
    return None, {}


class Runner:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.check = module.check_mode
        self.changed = False
        self.before = {}
        self.after = {}

    def ensure_oac(self, name):
        desired = cf.oac_config(name)
        current = find_oac(self.client, name)
        if current is None:
            self.changed = True
            self.after["origin_access_control"] = desired
            if self.check:
                return None
            return cf.create_oac(self.client, desired)["Id"]
        full, etag = cf.get_oac(self.client, current["Id"])
        config = full["OriginAccessControlConfig"] if full else {}
        self.before["origin_access_control"] = config
        self.after["origin_access_control"] = desired
        if not is_subset(desired, config):
            self.changed = True
            if not self.check:
                cf.update_oac(self.client, current["Id"], desired, etag)
        return current["Id"]

    def ensure_headers_policy(self, name):
        desired = cf.response_headers_policy_config(name, self.module.params["security_headers"])
        current = find_headers_policy(self.client, name)
        self.after["response_headers_policy"] = desired
        if current is None:
            self.changed = True
            if self.check:
                return None
            return cf.create_response_headers_policy(self.client, desired)["Id"]
        config = current["ResponseHeadersPolicyConfig"]
        self.before["response_headers_policy"] = config
        if not is_subset(desired, config):
            self.changed = True
            if not self.check:
                etag = cf.get_response_headers_policy(self.client, current["Id"])[1]
                cf.update_response_headers_policy(self.client, current["Id"], desired, etag)
        return current["Id"]

    def ensure_function(self, name, code):
        """The viewer-request function, published with `code` (its LIVE stage is what viewers get)."""
        desired = cf.function_config("illustra.webstack: viewer-request of " + self.module.params["name"])
        self.after["viewer_request_function"] = dict(desired, Name=name, Code=code)
        code = code.encode()
        development, etag = cf.describe_function(self.client, name, "DEVELOPMENT")
        if development is None:
            self.changed = True
            if self.check:
                return None
            development, etag = cf.create_function(self.client, name, desired, code)
            cf.publish_function(self.client, name, etag)
            return development["FunctionMetadata"]["FunctionARN"]
        arn = development["FunctionMetadata"]["FunctionARN"]
        live = cf.describe_function(self.client, name, "LIVE")[0]
        live_code = cf.get_function_code(self.client, name, "LIVE")[0] if live else None
        if live:
            self.before["viewer_request_function"] = dict(
                live["FunctionConfig"], Name=name, Code=live_code.decode(errors="replace")
            )
        if live and live_code == code and is_subset(desired, live["FunctionConfig"]):
            return arn
        self.changed = True
        if not self.check:
            development_code, etag = cf.get_function_code(self.client, name, "DEVELOPMENT")
            if development_code != code or not is_subset(desired, development["FunctionConfig"]):
                etag = cf.update_function(self.client, name, desired, code, etag)
            cf.publish_function(self.client, name, etag)
        return arn

    def remove_function(self, name):
        """Delete the function (after the distribution stopped using it: AWS refuses a function in use)."""
        development, etag = cf.describe_function(self.client, name, "DEVELOPMENT")
        if development is None:
            return
        self.changed = True
        self.before["viewer_request_function"] = dict(development["FunctionConfig"], Name=name)
        if not self.check:
            cf.delete_function(self.client, name, etag)

    def ensure_access_logs(self, distribution_arn, bucket_arn, tags):
        """Standard logs (v2) of the distribution into the bucket: a delivery source, destination and delivery."""
        name = self.module.params["name"]
        logs = self.module.client("logs", region="us-east-1")
        source_name, destination_name = f"{name}-access-logs", f"{name}-access-logs-s3"
        source = cf.get_delivery_source(logs, source_name)
        destination = cf.get_delivery_destination(logs, destination_name)
        deliveries = [d for d in cf.describe_deliveries(logs) if d.get("deliverySourceName") == source_name]
        current = {
            "source": (source or {}).get("resourceArns"),
            "destination": ((destination or {}).get("deliveryDestinationConfiguration") or {}).get(
                "destinationResourceArn"
            ),
            "deliveries": sorted(d.get("deliveryDestinationArn") for d in deliveries),
        }
        self.before["access_logs"] = current
        self.after["access_logs"] = {"source": [distribution_arn], "destination": bucket_arn} if bucket_arn else {}
        if not bucket_arn:
            if source is None and destination is None and not deliveries:
                return
            self.changed = True
            if not self.check:
                for delivery in deliveries:
                    cf.delete_delivery(logs, delivery["id"])
                if destination is not None:
                    cf.delete_delivery_destination(logs, destination_name)
                if source is not None:
                    cf.delete_delivery_source(logs, source_name)
            return
        wanted_source = current["source"] == [distribution_arn]
        wanted_destination = current["destination"] == bucket_arn
        linked = destination is not None and current["deliveries"] == [destination.get("arn")]
        if wanted_source and wanted_destination and linked:
            return
        self.changed = True
        if self.check or distribution_arn is None:
            return
        if source is not None and not wanted_source:  # a source names one resource for good: replace it
            for delivery in deliveries:
                cf.delete_delivery(logs, delivery["id"])
            cf.delete_delivery_source(logs, source_name)
            deliveries, source = [], None
        if source is None:
            cf.put_delivery_source(logs, source_name, distribution_arn, tags)
        if not wanted_destination:
            destination = cf.put_delivery_destination(logs, destination_name, bucket_arn, tags)
        for delivery in deliveries:
            if delivery.get("deliveryDestinationArn") != destination["arn"]:
                cf.delete_delivery(logs, delivery["id"])
        if destination["arn"] not in [d.get("deliveryDestinationArn") for d in deliveries]:
            cf.create_delivery(logs, source_name, destination["arn"], tags)

    def ensure_distribution(self, desired, tags):
        p = self.module.params
        summary, current_tags = find_distribution(self.client, p["name"])
        self.after["distribution"] = cf.redacted(desired)
        if summary is None:
            self.changed = True
            if self.check:
                return {"id": None, "arn": None, "domain_name": None, "status": None, "changed_fields": sorted(desired)}
            config = dict(desired, CallerReference=str(uuid.uuid4()))
            created = cf.create_distribution(self.client, config, tags)
            if p["wait"]:
                cf.wait_deployed(self.client, created["Id"], p["wait_timeout"])
            return self._describe(created, sorted(desired), tags)
        distribution, etag = cf.get_distribution(self.client, summary["Id"])
        current = distribution["DistributionConfig"]
        self.before["distribution"] = cf.redacted({k: current.get(k) for k in desired})
        differences = cf.config_differences(desired, current)
        if differences:
            self.changed = True
            if not self.check:
                distribution = cf.update_distribution(
                    self.client, summary["Id"], cf.merged_config(desired, current), etag
                )
                if p["wait"]:
                    cf.wait_deployed(self.client, summary["Id"], p["wait_timeout"])
        to_add, to_remove = compare_aws_tags(current_tags, tags, purge_tags=p["purge_tags"])
        self.before["tags"] = current_tags
        self.after["tags"] = tags
        if to_add or to_remove:
            self.changed = True
            if not self.check:
                if to_remove:
                    cf.untag_resource(self.client, summary["ARN"], to_remove)
                if to_add:
                    cf.tag_resource(self.client, summary["ARN"], to_add)
        return self._describe(distribution, differences, tags)

    @staticmethod
    def _describe(distribution, differences, tags):
        return {
            "id": distribution["Id"],
            "arn": distribution["ARN"],
            "domain_name": distribution["DomainName"],
            "status": distribution.get("Status"),
            "changed_fields": differences,
            "tags": tags,
        }

    def ensure_bucket_policy(self, bucket, distribution_arn, present=True):
        s3 = self.module.client("s3")
        current = bucket_policy.get_policy(s3, bucket)
        if present:
            statement = cf.oac_statement(bucket, distribution_arn or "arn:aws:cloudfront::(new distribution)")
            desired = bucket_policy.merged_policy(current, [statement])
        else:
            desired = bucket_policy.merged_policy(current, [], remove_sids=[cf.OAC_STATEMENT_SID])
        self.before["bucket_policy"] = current
        self.after["bucket_policy"] = desired
        if bucket_policy.policy_equal(current, desired):
            return
        self.changed = True
        if self.check:
            return
        if desired["Statement"]:
            bucket_policy.put_policy(s3, bucket, desired)
        else:
            bucket_policy.delete_policy(s3, bucket)

    def present(self):
        p = self.module.params
        tags = dict(p["tags"] or {}, Name=p["name"])
        oac_id = self.ensure_oac(f"{p['name']}-oac")
        policy_id = self.ensure_headers_policy(f"{p['name']}-security-headers")
        function_name = f"{p['name']}-viewer-request"
        function_arn = None
        if p["viewer_request_function_code"]:
            function_arn = self.ensure_function(function_name, p["viewer_request_function_code"])
        placeholder = "arn:aws:cloudfront::(new function)" if p["viewer_request_function_code"] else None
        desired = cf.distribution_config(p, oac_id, policy_id, function_arn or placeholder)
        result = self.ensure_distribution(desired, tags)
        if not p["viewer_request_function_code"]:
            self.remove_function(function_name)
        self.ensure_access_logs(result["arn"], p["access_logs_bucket_arn"], tags)
        if p["manage_bucket_policy"]:
            self.ensure_bucket_policy(p["origin_bucket_name"], result["arn"])
        result.update(oac_id=oac_id, response_headers_policy_id=policy_id, viewer_request_function_arn=function_arn)
        return result

    def absent(self):
        p = self.module.params
        summary, tags = find_distribution(self.client, p["name"])
        self.ensure_access_logs(None, None, {})
        if summary is not None:
            self.changed = True
            self.before["distribution"] = {"id": summary["Id"], "arn": summary["ARN"], "tags": tags}
            if not self.check:
                distribution, etag = cf.get_distribution(self.client, summary["Id"])
                config = distribution["DistributionConfig"]
                if config.get("Enabled"):
                    distribution = cf.update_distribution(self.client, summary["Id"], dict(config, Enabled=False), etag)
                    etag = None
                if distribution.get("Status") != "Deployed":
                    cf.wait_deployed(self.client, summary["Id"], p["wait_timeout"])
                if etag is None:
                    etag = cf.get_distribution(self.client, summary["Id"])[1]
                cf.delete_distribution(self.client, summary["Id"], etag)
        # The function and the headers policy can go only once no distribution uses them (AWS: 409 in use).
        self.remove_function(f"{p['name']}-viewer-request")
        policy = find_headers_policy(self.client, f"{p['name']}-security-headers")
        if policy is not None:
            self.changed = True
            self.before["response_headers_policy"] = policy["ResponseHeadersPolicyConfig"]
            if not self.check:
                etag = cf.get_response_headers_policy(self.client, policy["Id"])[1]
                cf.delete_response_headers_policy(self.client, policy["Id"], etag)
        oac = find_oac(self.client, f"{p['name']}-oac")
        if oac is not None:
            self.changed = True
            self.before["origin_access_control"] = {"id": oac["Id"], "name": oac.get("Name")}
            if not self.check:
                etag = cf.get_oac(self.client, oac["Id"])[1]
                cf.delete_oac(self.client, oac["Id"], etag)
        if p["manage_bucket_policy"] and self._bucket_exists(p["origin_bucket_name"]):
            self.ensure_bucket_policy(p["origin_bucket_name"], None, present=False)
        return {}

    def _bucket_exists(self, bucket):
        s3 = self.module.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
            return True
        except Exception:  # pylint: disable=broad-except
            return False


def main():
    header_options = dict(
        content_security_policy=dict(
            type="str",
            default="default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'none'",
        ),
        hsts_max_age=dict(type="int", default=63072000),
        hsts_include_subdomains=dict(type="bool", default=True),
        hsts_preload=dict(type="bool", default=False),
        frame_option=dict(type="str", default="DENY", choices=["DENY", "SAMEORIGIN"]),
        referrer_policy=dict(
            type="str",
            default="strict-origin-when-cross-origin",
            choices=[
                "no-referrer",
                "no-referrer-when-downgrade",
                "origin",
                "origin-when-cross-origin",
                "same-origin",
                "strict-origin",
                "strict-origin-when-cross-origin",
                "unsafe-url",
            ],
        ),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        origin_bucket_name=dict(type="str", required=True),
        origin_domain_name=dict(type="str", required=True),
        manage_bucket_policy=dict(type="bool", default=True),
        api_origin_domain_name=dict(type="str"),
        api_origin_protocol_policy=dict(
            type="str", default="https-only", choices=["https-only", "http-only", "match-viewer"]
        ),
        api_origin_custom_headers=dict(type="dict", no_log=True),
        api_path_pattern=dict(type="str", default="/api/*"),
        aliases=dict(type="list", elements="str", default=[]),
        acm_certificate_arn=dict(type="str"),
        minimum_protocol_version=dict(type="str", default="TLSv1.2_2021", choices=["TLSv1.2_2019", "TLSv1.2_2021"]),
        web_acl_arn=dict(type="str"),
        price_class=dict(
            type="str", default="PriceClass_100", choices=["PriceClass_100", "PriceClass_200", "PriceClass_All"]
        ),
        http_version=dict(type="str", default="http2and3", choices=["http2", "http2and3", "http3"]),
        default_root_object=dict(type="str", default="index.html"),
        spa_fallback=dict(type="bool", default=False),
        viewer_request_function_code=dict(type="str"),
        security_headers=dict(type="dict", default={}, options=header_options),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        access_logs_bucket_arn=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if p["state"] == "present" and p["aliases"] and not p["acm_certificate_arn"] and not module.check_mode:
        module.fail_json(msg="aliases need acm_certificate_arn: an ISSUED us-east-1 ACM certificate covering them.")
    runner = Runner(module, module.client("cloudfront"))
    try:
        result = runner.present() if p["state"] == "present" else runner.absent()
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    out = dict(changed=runner.changed, distribution=result)
    if module._diff:
        out["diff"] = dict(before=runner.before, after=runner.after if p["state"] == "present" else {})
    module.exit_json(**out)


if __name__ == "__main__":
    main()
