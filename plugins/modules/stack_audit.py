#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: stack_audit
short_description: Audit a deployed environment against the collection's secure defaults
version_added: 0.1.0
description:
  - Finds the environment's resources by their C(Project) and C(Environment) tags and checks them -
    S3 Block Public Access, default encryption and a TLS-only bucket policy; CloudFront Origin Access
    Control, viewer protocol and TLS policy, WAF association; ALB HTTP-to-HTTPS redirect, TLS policy
    and WAF association; security groups open to the internet on admin or database ports; IMDSv2 and
    encrypted volumes on instances and launch templates; log retention; alarms and the budget present.
  - Works on whatever exists - a part the environment does not have is simply not checked.
  - Returns findings with a severity. O(policy_level) decides what findings at or above
    O(fail_severity) do - V(informational) reports, V(warning) warns, V(strict) fails.
  - Only reads; never reports changed.
author:
  - illustra.webstack developers (@illustra)
options:
  project:
    description: The C(Project) tag value (V(webstack_project)).
    type: str
    required: true
  environment:
    description: The C(Environment) tag value (V(webstack_env)).
    type: str
    required: true
  website_mode:
    description: V(s3_website) makes a public website bucket an accepted, flagged exception (severity info).
    type: str
    choices: [s3_website, cloudfront]
    default: cloudfront
  waf_mode:
    description: When not V(off), CloudFront distributions and load balancers must have a web ACL.
    type: str
    choices: ["off", count, block]
    default: block
  alarm_prefix:
    description: Name prefix of the environment's alarms; empty skips the alarm check.
    type: str
    default: ""
  budget_name:
    description: Name of the environment's budget; empty skips the budget check.
    type: str
    default: ""
  dashboard_name:
    description: Name of the environment's dashboard; empty skips the dashboard check.
    type: str
    default: ""
  sns_topic_name:
    description: Name of the environment's alert topic; empty skips the topic check.
    type: str
    default: ""
  policy_level:
    description: What blocking findings do.
    type: str
    choices: [informational, warning, strict]
    default: warning
  fail_severity:
    description: The lowest severity that counts as blocking.
    type: str
    choices: [low, medium, high, critical]
    default: high
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Makes no change.
notes:
  - CloudFront is global; its distributions are found through the tagging API of us-east-1, so run the
    audit with O(region=us-east-1) when the environment uses CloudFront from another region.
"""

EXAMPLES = r"""
- name: Audit the environment against the secure defaults
  illustra.webstack.stack_audit:
    project: "{{ webstack_project }}"
    environment: "{{ webstack_env }}"
    website_mode: "{{ webstack_website_mode }}"
    waf_mode: "{{ webstack_waf_mode }}"
    alarm_prefix: "{{ webstack_project }}-{{ webstack_env }}-"
    budget_name: "{{ webstack_project }}-{{ webstack_env }}-monthly"
    policy_level: "{{ webstack_policy_level }}"
"""

RETURN = r"""
stack_audit:
  description: The audit.
  returned: always
  type: dict
  contains:
    status:
      description: V(ok), V(warn) or V(fail) after the policy level.
      type: str
    findings:
      description: The findings, most severe first.
      type: list
      elements: dict
      sample: [{"rule": "EC2-001", "severity": "critical", "resource": "sg-0123",
                "message": "open to the internet on 22 (SSH)",
                "remediation": "remove the 0.0.0.0/0 rule; reach hosts through SSM Session Manager",
                "summary": "critical EC2-001 sg-0123: open to the internet on 22 (SSH) (fix: remove ...)"}]
    counts:
      description: Findings per severity.
      type: dict
    blocking:
      description: Findings at or above O(fail_severity).
      type: int
    checked:
      description: How many resources of each kind were checked.
      type: dict
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils import _audit


class AuditErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleAWSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "NoSuchPublicAccessBlockConfiguration",
                "ServerSideEncryptionConfigurationNotFoundError",
                "NoSuchBucketPolicy",
                "NoSuchWebsiteConfiguration",
                "NoSuchBucket",
                "NoSuchDistribution",
                "NotFoundException",
                "WAFNonexistentItemException",
                "LoadBalancerNotFound",
                "ResourceNotFound",  # CloudWatch GetDashboard: the dashboard does not exist (a finding, not an error)
            ]
        )


_retry = AWSRetry.jittered_backoff(retries=8)


@AuditErrorHandler.common_error_handler("list the environment's tagged resources")
def tagged_arns(client, project, environment):
    pages = _retry(
        lambda: (
            client.get_paginator("get_resources")
            .paginate(
                TagFilters=[{"Key": "Project", "Values": [project]}, {"Key": "Environment", "Values": [environment]}]
            )
            .build_full_result()
        )
    )()
    return [r["ResourceARN"] for r in pages.get("ResourceTagMappingList", [])]


@AuditErrorHandler.list_error_handler("read a bucket setting")
def _bucket_call(call, **kwargs):
    return _retry(call)(**kwargs)


def read_bucket(s3, name):
    pab = _bucket_call(s3.get_public_access_block, Bucket=name)
    encryption = _bucket_call(s3.get_bucket_encryption, Bucket=name)
    policy = _bucket_call(s3.get_bucket_policy, Bucket=name)
    website = _bucket_call(s3.get_bucket_website, Bucket=name)
    return {
        "name": name,
        "public_access_block": (pab or {}).get("PublicAccessBlockConfiguration"),
        "encryption": ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules"),
        "policy": json.loads(policy["Policy"]) if policy else None,
        "website": website is not None,
    }


@AuditErrorHandler.list_error_handler("read a CloudFront distribution")
def read_distribution(cloudfront, distribution_id):
    config = _retry(cloudfront.get_distribution_config)(Id=distribution_id)["DistributionConfig"]
    origins = []
    for origin in (config.get("Origins") or {}).get("Items", []):
        origins.append(
            {
                "id": origin.get("Id"),
                "oac_id": origin.get("OriginAccessControlId"),
                "s3": ".s3." in origin.get("DomainName", "") and "s3-website" not in origin.get("DomainName", ""),
            }
        )
    behaviors = [config.get("DefaultCacheBehavior") or {}, *(config.get("CacheBehaviors") or {}).get("Items", [])]
    certificate = config.get("ViewerCertificate") or {}
    return {
        "id": distribution_id,
        "origins": origins,
        "viewer_protocol_policies": [b.get("ViewerProtocolPolicy") for b in behaviors if b],
        "min_protocol_version": certificate.get("MinimumProtocolVersion"),
        "aliases": (config.get("Aliases") or {}).get("Items", []),
        "web_acl_id": config.get("WebACLId"),
    }


@AuditErrorHandler.common_error_handler("read the load balancers")
def read_load_balancers(elbv2, wafv2, arns):
    result = []
    if not arns:
        return result
    lbs = _retry(elbv2.describe_load_balancers)(LoadBalancerArns=arns)["LoadBalancers"]
    for lb in lbs:
        listeners = _retry(elbv2.describe_listeners)(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        acl = _web_acl_for(wafv2, lb["LoadBalancerArn"])
        result.append(
            {
                "name": lb["LoadBalancerName"],
                "listeners": listeners,
                "web_acl_arn": ((acl or {}).get("WebACL") or {}).get("ARN"),
            }
        )
    return result


@AuditErrorHandler.list_error_handler("read a load balancer's web ACL")
def _web_acl_for(wafv2, arn):
    return _retry(wafv2.get_web_acl_for_resource)(ResourceArn=arn)


@AuditErrorHandler.common_error_handler("read the EC2 resources")
def read_ec2(ec2, project, environment):
    filters = [
        {"Name": "tag:Project", "Values": [project]},
        {"Name": "tag:Environment", "Values": [environment]},
    ]
    groups = _retry(ec2.describe_security_groups)(Filters=filters)["SecurityGroups"]
    reservations = _retry(ec2.describe_instances)(
        Filters=[*filters, {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    )["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    volumes = []
    if instances:
        volumes = _retry(ec2.describe_volumes)(
            Filters=[{"Name": "attachment.instance-id", "Values": [i["InstanceId"] for i in instances]}]
        )["Volumes"]
    templates = _retry(ec2.describe_launch_templates)(Filters=filters)["LaunchTemplates"]
    versions = []
    for template in templates:
        versions.extend(
            _retry(ec2.describe_launch_template_versions)(
                LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
            )["LaunchTemplateVersions"]
        )
    return groups, instances, volumes, versions


@AuditErrorHandler.common_error_handler("read the log groups")
def read_log_groups(logs, names):
    if not names:
        return []
    found = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        found.extend(g for g in page["logGroups"] if g["logGroupName"] in names)
    return found


@AuditErrorHandler.common_error_handler("read the alarms")
def read_alarm_names(cloudwatch, prefix):
    names = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix):
        names.extend(a["AlarmName"] for a in page.get("MetricAlarms", []))
    return names


@AuditErrorHandler.list_error_handler("read the dashboard")
def read_dashboard(cloudwatch, name):
    return _retry(cloudwatch.get_dashboard)(DashboardName=name)


@AuditErrorHandler.common_error_handler("read the alert topic")
def topic_subscriptions(sns, arns, name):
    arn = next((a for a in arns if a.startswith("arn:aws:sns:") and a.rsplit(":", 1)[1] == name), None)
    if arn is None:
        return None
    subscriptions = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        subscriptions.extend(page.get("Subscriptions", []))
    return subscriptions


@AuditErrorHandler.list_error_handler("read the budget")
def read_budget(budgets, account_id, name):
    return _retry(budgets.describe_budget)(AccountId=account_id, BudgetName=name)["Budget"]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            project=dict(type="str", required=True),
            environment=dict(type="str", required=True),
            website_mode=dict(type="str", choices=["s3_website", "cloudfront"], default="cloudfront"),
            waf_mode=dict(type="str", choices=["off", "count", "block"], default="block"),
            alarm_prefix=dict(type="str", default=""),
            budget_name=dict(type="str", default=""),
            dashboard_name=dict(type="str", default=""),
            sns_topic_name=dict(type="str", default=""),
            policy_level=dict(type="str", choices=["informational", "warning", "strict"], default="warning"),
            fail_severity=dict(type="str", choices=["low", "medium", "high", "critical"], default="high"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    waf_expected = p["waf_mode"] != "off"
    findings = []
    try:
        arns = tagged_arns(module.client("resourcegroupstaggingapi"), p["project"], p["environment"])
        buckets = [a.split(":::", 1)[1] for a in arns if a.startswith("arn:aws:s3:::") and "/" not in a]
        distributions = [a.rsplit("/", 1)[1] for a in arns if ":cloudfront::" in a and ":distribution/" in a]
        lbs = [a for a in arns if ":elasticloadbalancing:" in a and ":loadbalancer/app/" in a]
        log_names = set(a.split(":log-group:", 1)[1].rstrip(":*") for a in arns if ":log-group:" in a)

        s3 = module.client("s3")
        bucket_state = [read_bucket(s3, b) for b in sorted(buckets)]
        findings += _audit.audit_buckets(bucket_state, p["website_mode"])

        cloudfront = module.client("cloudfront")
        dist_state = [d for d in (read_distribution(cloudfront, i) for i in sorted(distributions)) if d]
        findings += _audit.audit_distributions(dist_state, waf_expected)

        lb_state = read_load_balancers(module.client("elbv2"), module.client("wafv2"), lbs)
        findings += _audit.audit_load_balancers(lb_state, waf_expected)

        groups, instances, volumes, versions = read_ec2(module.client("ec2"), p["project"], p["environment"])
        findings += _audit.audit_security_groups(groups)
        findings += _audit.audit_instances(instances, volumes)
        findings += _audit.audit_launch_templates(versions)

        log_groups = read_log_groups(module.client("logs"), log_names)
        findings += _audit.audit_log_groups(log_groups)

        alarm_names = read_alarm_names(module.client("cloudwatch"), p["alarm_prefix"]) if p["alarm_prefix"] else []
        budget_found = None
        if p["budget_name"]:
            account_id = module.client("sts").get_caller_identity()["Account"]
            budget_found = read_budget(module.client("budgets"), account_id, p["budget_name"]) is not None
        findings += _audit.audit_monitoring(alarm_names, bool(p["alarm_prefix"]), p["budget_name"], budget_found)
        if p["dashboard_name"] and read_dashboard(module.client("cloudwatch"), p["dashboard_name"]) is None:
            findings.append(
                _audit.finding(
                    "MON-003",
                    "medium",
                    p["dashboard_name"],
                    "the environment's dashboard does not exist",
                    "run the cloudwatch role (monitoring level standard or full)",
                )
            )
        if p["sns_topic_name"]:
            subscriptions = topic_subscriptions(module.client("sns"), arns, p["sns_topic_name"])
            findings += _audit.audit_topic(p["sns_topic_name"], subscriptions)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    checked = dict(
        buckets=len(bucket_state),
        distributions=len(dist_state),
        load_balancers=len(lb_state),
        security_groups=len(groups),
        instances=len(instances),
        volumes=len(volumes),
        launch_template_versions=len(versions),
        log_groups=len(log_groups),
        alarms=len(alarm_names),
    )
    findings.sort(key=lambda f: (-_audit.SEVERITIES.index(f["severity"]), f["rule"], f["resource"]))
    summary, status = _audit.summarise(findings, p["policy_level"], p["fail_severity"])
    result = dict(status=status, findings=findings, checked=checked, **summary)
    blocking = [f for f in findings if _audit.severity_at_least(f["severity"], p["fail_severity"])]
    text = "; ".join("{} {} {}: {}".format(f["severity"], f["rule"], f["resource"], f["message"]) for f in blocking)
    if status == "fail":
        module.fail_json(
            msg="stack audit of {}-{}: {} finding(s) at or above {} (policy level strict): {}".format(
                p["project"], p["environment"], len(blocking), p["fail_severity"], text
            ),
            stack_audit=result,
        )
    if status == "warn":
        module.warn("stack audit: {} finding(s) at or above {}: {}".format(len(blocking), p["fail_severity"], text))
    module.exit_json(changed=False, stack_audit=result)


if __name__ == "__main__":
    main()
