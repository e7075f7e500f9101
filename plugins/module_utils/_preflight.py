# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight's rules: every input of an environment, checked before any AWS call.

The input is the value each variable takes when its role runs (the inventory's, else the role's default; see
plugins/plugin_utils/role_vars.py), keyed by variable name. Each constraint has one source:
- a variable's type and choices: its role's argument spec (``argument_spec_problems``);
- what an AWS API accepts (lengths, patterns, ranges, enums): botocore's model of that API (``API_PARAMETERS``);
  where the model carries no constraint, the rule AWS documents, cited beside its function;
- rules that need several variables at once: the ``check_*`` functions;
- settings that weaken security: ``SECURITY_RULES``; refused when webstack_policy_level is strict, else
  allowed with a warning (they are the environment's flagged exceptions). docs/preflight.md lists them.
Every message names the variable and the fix. A rule only looks at the variables it is given: the roles that do
not run in the environment contribute none. Secrets are checked, never echoed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import functools
import ipaddress
import math
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.illustra.webstack.plugins.module_utils._vpc import RULE_OPTIONS, world_open_violations

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:
    InvalidRequirement = Requirement = None

try:
    import botocore.exceptions
    import botocore.session
except ImportError:  # the API-model checks are skipped; the module reports a missing botocore elsewhere
    botocore = None

ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^({LABEL}\.)+[a-z][a-z0-9-]{{0,61}}[a-z0-9]$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?P<domain>[^@\s]+)$")
TAG_KEY_RE = re.compile(r"^[\w .:/=+\-@]{1,128}$", re.UNICODE)
TAG_VALUE_RE = re.compile(r"^[\w .:/=+\-@]{0,256}$", re.UNICODE)
STANDARD_TAG_KEYS = ("Project", "Environment", "ManagedBy")
ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Root volumes: the EBS types an instance can boot from without extra settings (st1/sc1 cannot be boot volumes;
# io1/io2 need provisioned IOPS, which the roles do not pass), with their documented size range in GiB.
ROOT_VOLUME_SIZES = {"gp3": (1, 16384), "gp2": (1, 16384), "standard": (1, 1024)}
# The regional AWS services each role calls (global ones, IAM, Route 53, CloudFront and Budgets, are not bound
# to webstack_region); webstack_region must be a region of each, in botocore's own endpoint data.
ROLE_SERVICES = {
    "logs": ("s3",),
    "vpc": ("ec2", "logs"),
    "acm": ("acm",),
    "waf": ("wafv2",),
    "frontend_s3": ("s3",),
    "artifacts": ("s3",),
    "alb": ("elbv2", "ssm"),
    "asg": ("autoscaling", "ec2", "ssm"),
    "mongodb": ("ec2", "ssm"),
    "backup": ("s3", "cloudwatch", "backup"),
    "cloudwatch": ("cloudwatch", "logs", "sns"),
}


class Review:
    """What preflight found: problems (refused), exceptions (weak settings allowed at this policy level)."""

    def __init__(self, variables, secrets=None, roles=None, data_stage=True):
        self.variables = dict(variables or {})
        self.secrets = dict(secrets or {})
        self.roles = list(roles) if roles is not None else list(ROLE_SERVICES)  # the infrastructure roles that run
        self.data_stage = data_stage  # whether this run reaches the database (the Atlas connection string is needed)
        self.problems = []
        self.exceptions = []

    def has(self, *names):
        return all(self.variables.get(n) is not None for n in names)

    def get(self, name, default=None):
        value = self.variables.get(name)
        return default if value is None else value

    def problem(self, variable, text):
        message = f"{variable}: {text}"
        if message not in self.problems:
            self.problems.append(message)

    @property
    def strict(self):
        return self.get("webstack_policy_level") == "strict"


# --- value helpers ----------------------------------------------------------------------------------------------


def _int(value):
    """An int from an int or a digit string (inventory values typed on the command line), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _list(value):
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "on", "1", "y")
    return bool(value)


def cidr_reason(value, private=False):
    """Why value is not a CIDR an EC2 API takes (IPv4, host bits zero), or None."""
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        return f"{value!r} is not a valid IPv4 network; write it like 10.20.0.0/16 (address, slash, prefix; host bits zero)"
    if "/" not in str(value):
        return f"{value!r} has no prefix length; EC2 takes CIDR notation, like {value}/32 for one address"
    if net.version != 4:
        return f"{value} is IPv6; give the IPv4 range, like 10.20.0.0/16"
    if private and not net.is_private:
        return f"{value} is not a private (RFC 1918) range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    return None


def domain_reason(value, wildcard=False, max_length=253):
    """Why value is not a DNS name that ACM, Route 53 and CloudFront take (RFC 1123 labels), or None."""
    text = str(value or "").lower().rstrip(".")
    if wildcard and text.startswith("*."):
        text = text[2:]
    if len(text) > max_length:
        return f"{value!r} is {len(text)} characters, longer than the {max_length} allowed"
    if not DOMAIN_RE.match(text):
        return f"{value!r} is not a valid domain name; use a form like shop.example.com"
    return None


def email_reason(value):
    """Why value is not an address SNS and AWS Budgets deliver to, or None."""
    match = EMAIL_RE.match(str(value or ""))
    if not match or len(str(value)) > 254 or domain_reason(match.group("domain")):
        return f"{value!r} is not an e-mail address; use a form like ops@example.com"
    return None


def bucket_name_reason(name):
    """Why name is not a valid S3 general purpose bucket name, or None.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: 3-63 characters; lowercase
    letters, digits, dots and hyphens; a letter or digit at each end; no two adjacent dots; not an IP address;
    not the reserved prefixes xn--, sthree-, amzn-s3-demo- nor suffixes -s3alias, --ol-s3, .mrap, --x-s3, --table-s3.
    """
    text = str(name or "")
    if not 3 <= len(text) <= 63:
        return f"{text!r} is {len(text)} characters; a bucket name has 3 to 63"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", text):
        return f"{text!r} may hold only lowercase letters, digits, dots and hyphens, with a letter or digit at each end"
    if ".." in text:
        return f"{text!r} has two adjacent dots"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text):
        return f"{text!r} is formatted as an IP address"
    if text.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or text.endswith(
        ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    ):
        return f"{text!r} uses a prefix or suffix that S3 reserves"
    return None


ARN_RE = re.compile(
    r"^arn:(?P<partition>aws(-[a-z]+)*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<resource>.+)$"
)


def arn_reason(value, service, resource_pattern=".+", region=None, what="ARN"):
    """Why value is not an ARN of the service (and region), or None."""
    match = ARN_RE.match(str(value or ""))
    if not match or match.group("service") != service or not re.fullmatch(resource_pattern, match.group("resource")):
        return f"{value!r} is not a {what} (arn:aws:{service}:...)"
    if region and match.group("region") != region:
        return f"{value!r} is in region {match.group('region') or '(none)'}, it must be in {region}"
    return None


def kms_key_reason(value):
    """Why value is not a KMS key reference EBS, S3 and SSM take (key id, key ARN, alias name or alias ARN), or None.

    https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
    """
    text = str(value or "")
    if re.fullmatch(r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", text):
        return None
    if re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", text) and not text.startswith("alias/aws/"):
        return None
    if not arn_reason(text, "kms", r"(key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})|alias/[A-Za-z0-9/_-]{1,250})"):
        return None
    return f"{text!r} is not a KMS key id, key ARN, alias/<name> or alias ARN"


def ssm_name_reason(value, created=True):
    """Why value is not an SSM parameter name, or None.

    https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html: letters,
    digits and _ . - with / for a hierarchy of at most 15 levels, at most 1011 characters; the roles use fully
    qualified names (a leading /); names we create cannot start with aws or ssm (reserved).
    """
    text = str(value or "")
    if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)+", text):
        return f"{text!r} is not a parameter path: a leading / and letters, digits, _ . - between slashes"
    if len(text) > 1011 or text.count("/") > 15:
        return f"{text!r} is longer than 1011 characters or 15 levels"
    if created and re.match(r"/(aws|ssm)(/|$)", text, re.IGNORECASE):
        return f"{text!r} starts with a prefix AWS reserves (aws, ssm)"
    return None


def _describe(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- what the AWS APIs accept: botocore's own model -----------------------------------------------------------


def _botocore_version():
    return getattr(botocore, "__version__", "?")


@functools.lru_cache(maxsize=None)  # noqa: UP033 - modules may run on Python 3.8
def _botocore_session():
    return botocore.session.get_session()


@functools.lru_cache(maxsize=None)  # noqa: UP033 - modules may run on Python 3.8
def api_constraint(service, path):
    """The constraints botocore's model puts on an API parameter, "Operation.Member.Member[]" (None: unknown)."""
    if botocore is None:
        return None
    try:
        model = _botocore_session().get_service_model(service)
    except botocore.exceptions.DataNotFoundError:
        return None
    first, *members = path.split(".")
    # An operation's input, or a named shape of the model (a structure used by several operations).
    shape = model.operation_model(first).input_shape if first in model.operation_names else model.shape_for(first)
    for member in members:
        shape = shape.members[member[:-2]].member if member.endswith("[]") else shape.members[member]
    meta = dict(shape.metadata)
    constraint = {
        "type": shape.type_name,
        "min": meta.get("min"),
        "max": meta.get("max"),
        "enum": list(getattr(shape, "enum", []) or []),
    }
    pattern = meta.get("pattern")
    if pattern:
        try:
            constraint["pattern"] = re.compile(pattern)
        except re.error:
            # Java takes an inline (?i) anywhere, Python only at the start: case-insensitive throughout is as
            # permissive or more. Any other Java-only construct: length and enum still apply.
            try:
                constraint["pattern"] = re.compile(pattern.replace("(?i)", ""), re.IGNORECASE)
            except re.error:
                pass
    return constraint


def api_reason(value, constraint):
    """Why value breaks the constraint, or None."""
    if constraint is None:
        return None
    kind = constraint["type"]
    low, high = constraint["min"], constraint["max"]
    if kind in ("integer", "long", "double", "float"):
        number = _number(value)
        if number is None or (kind in ("integer", "long") and not number.is_integer()):
            return f"{_describe(value)} is not a {'whole ' if kind in ('integer', 'long') else ''}number"
        if (low is not None and number < low) or (high is not None and number > high):
            return (
                f"{_describe(value)} is outside {low if low is not None else '…'}..{high if high is not None else '…'}"
            )
        return None
    if kind == "list":
        count = len(_list(value))
        if (low is not None and count < low) or (high is not None and count > high):
            return f"{count} entries, outside {low if low is not None else 0}..{high if high is not None else '…'}"
        return None
    text = str(value)
    if constraint["enum"] and text not in constraint["enum"]:
        close = difflib.get_close_matches(text, constraint["enum"], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return (
            f"{_describe(value)} is not one of the values the API accepts{hint} "
            f"(botocore {_botocore_version()}'s model; a value newer than it needs a newer botocore)"
        )
    if (low is not None and len(text) < low) or (high is not None and len(text) > high):
        return f"{_describe(value)} is {len(text)} characters, outside {low or 0}..{high if high is not None else '…'}"
    if constraint.get("pattern") is not None and not constraint["pattern"].fullmatch(text):
        return f"{_describe(value)} has characters the API does not accept (pattern {constraint['pattern'].pattern})"
    return None


class ApiParameter:
    """A value that reaches an AWS API parameter: the variable itself or a name the role builds from it."""

    def __init__(self, value_of, service, path, blame=None, what=None, when=None, each=False):
        self.value_of = value_of  # the variable (or role-internal name) whose value reaches the API
        self.service, self.path = service, path
        self.blame = blame or value_of  # the variable the user changes
        self.what = what  # what the value is, when it is not the variable itself
        self.when = when  # a variable that must be true for the role to make the call
        self.each = each  # the variable is a list; each element reaches the parameter


# Every variable (or name built from one) whose value reaches an AWS API parameter that botocore's model constrains.
API_PARAMETERS = (
    ApiParameter(
        "vpc__flow_logs_role",
        "iam",
        "CreateRole.RoleName",
        "vpc_name",
        "the flow logs IAM role name",
        "vpc_flow_logs_enabled",
    ),
    ApiParameter(
        "vpc__flow_logs_group",
        "logs",
        "CreateLogGroup.logGroupName",
        "webstack_project",
        "the flow logs log group",
        "vpc_flow_logs_enabled",
    ),
    ApiParameter("acm_domain", "acm", "RequestCertificate.DomainName"),
    ApiParameter("acm_subject_alternative_names", "acm", "RequestCertificate.SubjectAlternativeNames"),
    ApiParameter("acm_subject_alternative_names", "acm", "RequestCertificate.SubjectAlternativeNames[]", each=True),
    ApiParameter("waf_managed_rule_groups", "wafv2", "ManagedRuleGroupStatement.Name", each=True),
    ApiParameter("waf_forwarded_ip_header", "wafv2", "ForwardedIPConfig.HeaderName"),
    ApiParameter("alb_target_port", "elbv2", "CreateTargetGroup.Port"),
    ApiParameter("alb_health_check_path", "elbv2", "CreateTargetGroup.HealthCheckPath"),
    ApiParameter("alb_health_check_interval", "elbv2", "CreateTargetGroup.HealthCheckIntervalSeconds"),
    ApiParameter("alb_health_check_timeout", "elbv2", "CreateTargetGroup.HealthCheckTimeoutSeconds"),
    ApiParameter("alb_healthy_threshold", "elbv2", "CreateTargetGroup.HealthyThresholdCount"),
    ApiParameter("alb_unhealthy_threshold", "elbv2", "CreateTargetGroup.UnhealthyThresholdCount"),
    ApiParameter("asg_name", "iam", "CreateRole.RoleName", what="the instance role name"),
    ApiParameter("asg_name", "iam", "CreateInstanceProfile.InstanceProfileName", what="the instance profile name"),
    ApiParameter("asg_name", "autoscaling", "CreateAutoScalingGroup.AutoScalingGroupName"),
    ApiParameter("asg_instance_type", "ec2", "RunInstances.InstanceType"),
    ApiParameter("asg_instance_warmup", "autoscaling", "StartInstanceRefresh.Preferences.InstanceWarmup"),
    ApiParameter(
        "asg_refresh_min_healthy_percentage", "autoscaling", "StartInstanceRefresh.Preferences.MinHealthyPercentage"
    ),
    ApiParameter(
        "asg_refresh_max_healthy_percentage", "autoscaling", "StartInstanceRefresh.Preferences.MaxHealthyPercentage"
    ),
    ApiParameter(
        "asg_refresh_checkpoint_percentages",
        "autoscaling",
        "StartInstanceRefresh.Preferences.CheckpointPercentages[]",
        each=True,
    ),
    ApiParameter("asg_refresh_checkpoint_delay", "autoscaling", "StartInstanceRefresh.Preferences.CheckpointDelay"),
    ApiParameter("mongodb__role_name", "iam", "CreateRole.RoleName", "mongodb_name", "the database instance role name"),
    ApiParameter("mongodb_instance_type", "ec2", "RunInstances.InstanceType"),
    ApiParameter(
        "backup__vault_name",
        "backup",
        "CreateBackupVault.BackupVaultName",
        "backup_name",
        "the AWS Backup vault name",
        "backup_aws_backup_enabled",
    ),
    ApiParameter(
        "backup__service_role_name",
        "iam",
        "CreateRole.RoleName",
        "backup_name",
        "the AWS Backup role name",
        "backup_aws_backup_enabled",
    ),
    ApiParameter("backup__policy_name", "iam", "PutRolePolicy.PolicyName", "backup_name", "the upload policy name"),
    ApiParameter("backup__alarm_name", "cloudwatch", "PutMetricAlarm.AlarmName", "backup_name", "the dump alarm name"),
    ApiParameter("backup_metric_namespace", "cloudwatch", "PutMetricAlarm.Namespace"),
    ApiParameter("backup_alarm_period_seconds", "cloudwatch", "PutMetricAlarm.Period"),
    ApiParameter(
        "cloudwatch__budget_name",
        "budgets",
        "CreateBudget.Budget.BudgetName",
        "cloudwatch_name",
        "the budget name",
        "cloudwatch_budget_enabled",
    ),
    ApiParameter("cloudwatch_log_groups", "logs", "CreateLogGroup.logGroupName", each=True),
    ApiParameter("cloudwatch_extra_log_groups", "logs", "CreateLogGroup.logGroupName", each=True),
    ApiParameter(
        "cloudwatch_budget_actual_thresholds", "budgets", "CreateNotification.Notification.Threshold", each=True
    ),
    ApiParameter(
        "cloudwatch_budget_forecasted_thresholds", "budgets", "CreateNotification.Notification.Threshold", each=True
    ),
    ApiParameter("alb_origin_verify_parameter", "ssm", "PutParameter.Name"),
    ApiParameter(
        "mongodb__uri_parameter", "ssm", "PutParameter.Name", "mongodb_ssm_prefix", "the connection string parameter"
    ),
)

# Empty means "none" for these: nothing reaches the API.
OPTIONAL_STRINGS = ("waf_forwarded_ip_header",)

# Role-internal names (roles/<role>/vars/main.yml) that preflight asks for: the names a role builds from variables.
DERIVED_NAMES = tuple(
    sorted(
        {p.value_of for p in API_PARAMETERS if "__" in p.value_of}
        | {
            "vpc__security_groups",
            "cloudwatch__alarms",
            "cloudwatch__topic_name",
            "cloudwatch__dashboard_name",
            "waf__acls",
        }
    )
)


def check_api_parameters(review):
    for param in API_PARAMETERS:
        if not review.has(param.value_of) or (param.when and not _bool(review.get(param.when))):
            continue
        value = review.get(param.value_of)
        if param.each and not isinstance(value, (list, tuple)):
            continue
        constraint = api_constraint(param.service, param.path)
        operation, member = param.path.split(".", 1)[0], param.path.rsplit(".", 1)[-1].rstrip("[]")
        for item in _list(value) if param.each else [value]:
            if item in ("", None) and param.value_of in OPTIONAL_STRINGS:
                continue
            reason = api_reason(item, constraint)
            if reason:
                subject = f"{param.what} {_describe(item)}: " if param.what else ""
                fix = f"shorten or rename {param.blame}" if param.what else "set a value the API accepts"
                review.problem(param.blame, f"{subject}{reason} for {member} of {param.service} {operation}; {fix}")


# --- argument specs ---------------------------------------------------------------------------------------------


def argument_spec_problems(argument_specs, variables):
    """Type and choice problems of each role's argument spec against the values the role will use."""
    if not argument_specs:
        return []
    problems = []
    for role, options in sorted(argument_specs.items()):
        # Only what is set (or defaulted by the role's own files): the spec's defaults are the role's defaults.
        spec = {
            name: {k: v for k, v in option.items() if k not in ("description", "default", "version_added")}
            for name, option in options.items()
        }
        given = {name: variables[name] for name in spec if variables.get(name) is not None}
        result = ArgumentSpecValidator(spec).validate(given)
        for error in result.errors:
            text = str(error.msg if hasattr(error, "msg") else error)
            names = [n for n in sorted(spec, key=len, reverse=True) if re.search(rf"\b{re.escape(n)}\b", text)]
            variable = names[0] if names else role
            problems.append(f"{variable}: {text} (roles/{role}/meta/argument_specs.yml)")
    return problems


# --- cross-field and format rules, role by role ---------------------------------------------------------------


def check_names(review):
    project = str(review.get("webstack_project", ""))
    env = review.get("webstack_env")
    if env not in ENVIRONMENTS:
        review.problem("webstack_env", f"{env!r} is not an environment; use one of {', '.join(ENVIRONMENTS)}")
    if not PROJECT_RE.match(project):
        review.problem(
            "webstack_project",
            f"{project!r} must be 2-20 lowercase letters, digits or dashes, starting with a letter "
            "(it prefixes bucket and load balancer names)",
        )
    for variable in ("vpc_name", "acm_name", "cloudfront_name", "mongodb_name", "asg_name"):
        if review.has(variable) and not TAG_VALUE_RE.match(str(review.get(variable))):
            review.problem(
                variable,
                f"{_describe(review.get(variable))} is the Name tag of its resources; keep it to 256 letters, digits, spaces or _ . : / = + - @",
            )


def check_region(review, known_regions=None):
    """webstack_region (and acm_regions) against botocore's endpoint data for the services the roles call."""
    services = sorted({s for role in review.roles for s in ROLE_SERVICES.get(role, ())})
    available = known_regions if known_regions is not None else regions_of(tuple(services))
    if available is None:
        return
    region = str(review.get("webstack_region", ""))
    missing = [s for s in services if region not in available.get(s, ())]
    if missing:
        every = sorted(set.intersection(*(set(available[s]) for s in services))) if services else []
        # Suggest from the region's own partition (commercial, China, GovCloud, ISO, European Sovereign Cloud).
        marker = next((m for m in ("cn-", "-gov-", "-iso", "eusc-") if m in region), None)
        every = ([r for r in every if marker in r] if marker else []) or [
            r for r in every if not any(m in r for m in ("cn-", "-gov-", "-iso", "eusc-"))
        ]
        close = difflib.get_close_matches(region, every, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        review.problem(
            "webstack_region",
            f"{region!r} is not a region of {', '.join(missing)} in botocore {_botocore_version()}'s endpoint data; {hint}"
            f"use one of {', '.join(every)}",
        )
    for acm_region in _list(review.get("acm_regions")):
        if acm_region not in (known_regions or regions_of(("acm",)) or {}).get("acm", (acm_region,)):
            review.problem(
                "acm_regions",
                f"{acm_region!r} is not a region of acm in botocore's endpoint data; list regions like us-east-1",
            )


@functools.lru_cache(maxsize=None)  # noqa: UP033 - modules may run on Python 3.8
def regions_of(services):
    """{service: regions in every partition} from botocore's endpoint data (None without botocore)."""
    if botocore is None:
        return None
    session = _botocore_session()
    return {
        service: tuple(
            sorted({r for p in session.get_available_partitions() for r in session.get_available_regions(service, p)})
        )
        for service in services
    }


def check_tags(review):
    tags = review.get("webstack_extra_tags", {})
    if not isinstance(tags, dict):
        review.problem("webstack_extra_tags", "must be a mapping of tag keys to values, like {CostCenter: web}")
        return
    if len(tags) > 40:
        review.problem(
            "webstack_extra_tags", f"{len(tags)} tags, AWS allows 50 per resource and we add a few; keep at most 40"
        )
    for key, value in tags.items():
        key_text = str(key)
        if key_text in (*STANDARD_TAG_KEYS, "Name"):
            review.problem("webstack_extra_tags", f"{key_text} is a tag the collection sets; remove it")
        elif key_text.lower().startswith("aws:"):
            review.problem("webstack_extra_tags", f"{key_text!r} uses the reserved aws: prefix; rename the tag")
        elif not TAG_KEY_RE.match(key_text):
            review.problem(
                "webstack_extra_tags", f"key {key_text!r} must be 1-128 letters, digits, spaces or _ . : / = + - @"
            )
        if value is None or isinstance(value, (dict, list)) or not TAG_VALUE_RE.match(str(value)):
            review.problem(
                "webstack_extra_tags",
                f"value of {key_text!r} must be text up to 256 characters (letters, digits, _ . : / = + - @)",
            )


def check_flags(review):
    env = review.get("webstack_env")
    website = review.get("webstack_website_mode")
    custom_domain = _bool(review.get("webstack_custom_domain", False))
    domain = str(review.get("webstack_domain", "") or "")
    if custom_domain and not domain:
        review.problem(
            "webstack_domain", "empty, but webstack_custom_domain is true; set the apex domain (e.g. example.com)"
        )
    if domain:
        reason = domain_reason(domain, max_length=64)
        if reason:
            review.problem(
                "webstack_domain",
                reason + " (it is the certificate's first name, at most 64 characters in ACM)"
                if "longer" in reason
                else reason,
            )
    if env == "prod" and not custom_domain:
        review.problem(
            "webstack_custom_domain", "prod serves its own domain over TLS; set it to true with webstack_domain"
        )
    if custom_domain and website == "s3_website":
        review.problem(
            "webstack_website_mode",
            "s3_website cannot serve a custom domain over TLS; use cloudfront with webstack_custom_domain",
        )
    waf = review.get("webstack_waf_mode")
    if waf not in (None, "off") and website != "cloudfront" and review.get("webstack_backend_mode") != "asg":
        review.problem(
            "webstack_waf_mode",
            f"{waf} but nothing can carry a web ACL (no CloudFront, no load balancer); set it to off or use cloudfront / an asg backend",
        )
    if env == "prod" and review.get("webstack_backend_mode") == "single":
        review.problem("webstack_backend_mode", "single has no load balancer or redundancy; prod uses asg")
    if env == "prod" and review.get("webstack_backup_mode") == "off":
        review.problem("webstack_backup_mode", "prod keeps backups; set daily or daily_aws_backup")
    budget = review.variables.get("webstack_budget_usd")
    amount = _number(budget)
    if amount is None or amount <= 0:
        review.problem("webstack_budget_usd", f"{budget!r} is not a positive number of dollars a month; set e.g. 75")
    for variable in ("preflight_monthly_data_transfer_gb", "preflight_monthly_requests_millions"):
        value = _number(review.get(variable, 0))
        if value is None or value < 0:
            review.problem(variable, f"{review.get(variable)!r} is not an amount (0 or more) the cost estimate can use")
    for variable in ("webstack_alert_emails", "cloudwatch_alert_emails"):
        for email in _list(review.get(variable)):
            reason = email_reason(email)
            if reason:
                review.problem(variable, reason)
    if review.get("webstack_monitoring_level") == "full" and not _list(review.get("webstack_alert_emails")):
        review.problem("webstack_alert_emails", "full monitoring sends alarms to SNS e-mail; list at least one address")


def check_network(review):
    reason = cidr_reason(review.get("vpc_cidr_block"), private=True) if review.has("vpc_cidr_block") else "missing"
    if reason:
        if review.has("vpc_cidr_block"):
            review.problem("vpc_cidr_block", reason)
        return
    vpc = ipaddress.ip_network(str(review.get("vpc_cidr_block")))
    if not 16 <= vpc.prefixlen <= 24:
        review.problem(
            "vpc_cidr_block",
            f"/{vpc.prefixlen} is outside what AWS allows for a VPC with room for subnets; use /16 to /24",
        )
    azs = _list(review.get("vpc_availability_zones"))
    az_count = len(azs) or _int(review.get("vpc_az_count", 2))
    if az_count is None or az_count < 1:
        review.problem(
            "vpc_az_count", f"{review.get('vpc_az_count')!r} is not a number of availability zones; use 2 or 3"
        )
        az_count = 2
    if review.get("webstack_backend_mode") == "asg" and az_count < 2:
        variable = "vpc_availability_zones" if azs else "vpc_az_count"
        review.problem(
            variable, "an Application Load Balancer needs subnets in at least two availability zones; use 2 or more"
        )
    region = str(review.get("webstack_region", ""))
    for az in azs:
        if not re.fullmatch(re.escape(region) + r"([a-z]|-[a-z]+-\d+[a-z])", str(az)):
            review.problem(
                "vpc_availability_zones",
                f"{az!r} is not an availability zone of webstack_region {region} (like {region}a)",
            )
    prefix = _int(review.get("vpc_subnet_prefix_length", 24))
    explicit = bool(_list(review.get("vpc_public_subnet_cidrs")) and _list(review.get("vpc_private_subnet_cidrs")))
    if prefix is None or not vpc.prefixlen < prefix <= 28:
        review.problem(
            "vpc_subnet_prefix_length",
            f"{review.get('vpc_subnet_prefix_length')!r} must be longer than the VPC's /{vpc.prefixlen} and at most 28 (AWS's smallest subnet)",
        )
    elif not explicit and 2 ** (prefix - vpc.prefixlen - 1) < az_count:
        review.problem(
            "vpc_subnet_prefix_length",
            f"vpc_cidr_block {vpc} has room for {2 ** (prefix - vpc.prefixlen - 1)} /{prefix} subnets per tier, "
            f"{az_count} are needed; use a larger VPC range or a longer prefix",
        )
    subnets = []
    for variable in ("vpc_public_subnet_cidrs", "vpc_private_subnet_cidrs"):
        cidrs = _list(review.get(variable))
        if cidrs and len(cidrs) != az_count:
            review.problem(variable, f"{len(cidrs)} CIDRs for {az_count} availability zones; give one per zone")
        for cidr in cidrs:
            reason = cidr_reason(cidr, private=True)
            if reason:
                review.problem(variable, reason)
                continue
            net = ipaddress.ip_network(str(cidr))
            if not net.subnet_of(vpc):
                review.problem(variable, f"{cidr} is outside vpc_cidr_block {vpc}; pick subnets inside the VPC range")
            elif net.prefixlen > 28:
                review.problem(variable, f"{cidr} is smaller than /28, the smallest subnet AWS allows")
            subnets.append((variable, net))
    for i, (var_a, a) in enumerate(subnets):
        for var_b, b in subnets[i + 1 :]:
            if a.overlaps(b):
                review.problem(var_b, f"{b} overlaps {a} ({var_a}); give each subnet its own range")
    for other_env, other in sorted((review.get("preflight_other_env_cidrs") or {}).items()):
        reason = cidr_reason(other, private=True)
        if reason:
            review.problem(f"preflight_other_env_cidrs.{other_env}", reason)
        elif ipaddress.ip_network(str(other)).overlaps(vpc):
            review.problem(
                "vpc_cidr_block",
                f"{vpc} overlaps the {other_env} environment's {other}; give each environment its own range so they can be peered",
            )
    for variable in ("vpc_alb_ingress_cidrs", "vpc_app_public_ingress_cidrs"):
        for cidr in _list(review.get(variable)):
            reason = cidr_reason(cidr)
            if reason:
                review.problem(variable, reason)
    for variable in ("vpc_app_port", "vpc_db_port", "alb_target_port", "asg_app_port", "mongodb_port"):
        if review.has(variable):
            port = _int(review.get(variable))
            if port is None or not 1 <= port <= 65535:
                review.problem(variable, f"{_describe(review.get(variable))} is not a TCP port; use 1-65535")
    if review.has("vpc_app_port", "alb_target_port") and _int(review.get("vpc_app_port")) != _int(
        review.get("alb_target_port")
    ):
        review.problem(
            "alb_target_port",
            f"{review.get('alb_target_port')} differs from vpc_app_port {review.get('vpc_app_port')}, the only port the app "
            "security group opens to the load balancer; health checks would never pass. Set both to the same port",
        )
    if review.has("asg_app_port", "vpc_app_port") and _int(review.get("asg_app_port")) == _int(
        review.get("vpc_app_port")
    ):
        review.problem(
            "asg_app_port",
            f"{review.get('asg_app_port')} is nginx's port (vpc_app_port); the app behind it needs another, like 8001",
        )
    if (
        review.has("mongodb_port", "vpc_db_port")
        and review.get("mongodb_mode") == "self_hosted"
        and _int(review.get("mongodb_port")) != _int(review.get("vpc_db_port"))
    ):
        review.problem(
            "mongodb_port",
            f"{review.get('mongodb_port')} differs from vpc_db_port {review.get('vpc_db_port')}, the port the database "
            "security group opens to the app; set both to the same port",
        )
    _check_security_group_rules(review)
    nat = review.get("vpc_nat_mode")
    if nat == "none":
        private_users = []
        if review.get("webstack_backend_mode") == "asg":
            private_users.append("the backend (asg mode)")
        if review.get("mongodb_mode") == "self_hosted" and "mongodb" in review.roles:
            private_users.append("the self-hosted database")
        if private_users:
            review.problem(
                "vpc_nat_mode",
                f"none leaves the private subnets without internet access, but {' and '.join(private_users)} run there and "
                "install packages at boot; use single or per_az",
            )


def _check_security_group_rules(review):
    for index, group in enumerate(_list(review.get("vpc_extra_security_groups"))):
        where = f"vpc_extra_security_groups[{index}]"
        if not isinstance(group, dict) or not group.get("key") or not group.get("description"):
            review.problem(
                where, "each group needs a key and a description (the vpc_network module's security_groups format)"
            )
            continue
        for direction in ("ingress", "egress"):
            for rule in _list(group.get(direction)):
                if not isinstance(rule, dict):
                    review.problem(where, f"{direction} rules are mappings with ports and cidr_ip / source_group")
                    continue
                unknown = sorted(set(rule) - set(RULE_OPTIONS) - {"port"})
                if unknown:
                    review.problem(
                        where, f"{direction} rules take {', '.join(RULE_OPTIONS)}; {', '.join(unknown)} is not one"
                    )
                for cidr in _list(rule.get("cidr_ip")):
                    reason = cidr_reason(cidr)
                    if reason:
                        review.problem(where, f"{direction} cidr_ip {reason}")
                for cidr in _list(rule.get("cidr_ipv6")):
                    try:
                        if ipaddress.ip_network(str(cidr), strict=True).version != 6:
                            raise ValueError
                    except ValueError:
                        review.problem(
                            where, f"{direction} cidr_ipv6 {cidr!r} is not an IPv6 network like 2001:db8::/32"
                        )
                if str(rule.get("protocol", "tcp")) in ("-1", "all"):
                    continue
                for port in _list(rule.get("ports", [rule.get("port")])):
                    low, _dash, high = str(port).partition("-")
                    values = [_int(low), _int(high or low)]
                    if None in values or not 0 <= values[0] <= values[1] <= 65535:
                        review.problem(
                            where, f"{direction} port {port!r} is not a port or a from-to range within 0-65535"
                        )


def check_certificates(review):
    if review.has("acm_domain"):
        reason = domain_reason(review.get("acm_domain"), max_length=64)
        if reason:
            review.problem(
                "acm_domain",
                reason + "; ACM takes at most 64 characters for the first name" if "longer" in reason else reason,
            )
    for name in _list(review.get("acm_subject_alternative_names")):
        reason = domain_reason(name, wildcard=True)
        if reason:
            review.problem("acm_subject_alternative_names", reason)
    regions = _list(review.get("acm_regions"))
    if regions and review.get("webstack_website_mode") == "cloudfront" and regions[0] != "us-east-1":
        review.problem(
            "acm_regions",
            f"starts with {regions[0]}; CloudFront takes certificates from us-east-1 only, so list us-east-1 first",
        )
    if regions and review.get("webstack_backend_mode") == "asg" and review.get("webstack_region") not in regions:
        review.problem(
            "acm_regions",
            f"lacks webstack_region {review.get('webstack_region')}; the load balancer needs a certificate in its own region",
        )
    for variable in ("acm_hosted_zone_id", "dns_hosted_zone_id"):
        zone = str(review.get(variable, "") or "")
        if zone and not re.fullmatch(r"(/hostedzone/)?Z[A-Z0-9]{1,31}", zone):
            review.problem(variable, f"{zone!r} is not a Route 53 hosted zone id (like Z0123456789ABCDEFGHIJ)")
    for variable in (
        "acm_wait_timeout",
        "cloudfront_wait_timeout",
        "asg_refresh_timeout",
        "asg_health_check_grace_period",
    ):
        if review.has(variable):
            seconds = _int(review.get(variable))
            if seconds is None or seconds < 0:
                review.problem(variable, f"{_describe(review.get(variable))} is not a number of seconds (0 or more)")
    # CloudFront refuses an alias the certificate does not cover; the acm role's certificate covers acm_domain and
    # acm_subject_alternative_names (a wildcard covers one label).
    if (
        review.has("cloudfront_aliases")
        and review.has("acm_domain")
        and not review.get("cloudfront_acm_certificate_arn")
    ):
        covered = [
            str(n).lower().rstrip(".")
            for n in [review.get("acm_domain"), *_list(review.get("acm_subject_alternative_names"))]
        ]
        for alias in _list(review.get("cloudfront_aliases")):
            text = str(alias).lower().rstrip(".")
            reason = domain_reason(text, wildcard=True)
            if reason:
                review.problem("cloudfront_aliases", reason)
            elif not any(
                text == n or (n.startswith("*.") and text.split(".", 1)[-1] == n[2:] and "." in text) for n in covered
            ):
                review.problem(
                    "cloudfront_aliases",
                    f"{alias!r} is not covered by the certificate (acm_domain and acm_subject_alternative_names); CloudFront "
                    "would refuse it. Add it to acm_subject_alternative_names or drop the alias",
                )
    if review.has("dns_api_name") and review.get("dns_api_name") and review.has("dns_domain"):
        api, zone = (
            str(review.get("dns_api_name")).lower().rstrip("."),
            str(review.get("dns_domain")).lower().rstrip("."),
        )
        if domain_reason(api) or not (api == zone or api.endswith("." + zone)):
            review.problem("dns_api_name", f"{api!r} must be a name inside the hosted zone {zone}, like api.{zone}")
    if review.get("dns_domain"):
        reason = domain_reason(review.get("dns_domain"))
        if reason:
            review.problem("dns_domain", reason)
    # Set only to point the records at targets another run made (else the cloudfront and alb roles' outputs).
    for variable in ("dns_cloudfront_domain_name", "dns_alb_dns_name"):
        target = review.get(variable, "")
        if target and domain_reason(target):
            review.problem(variable, domain_reason(target))
    zone = str(review.get("dns_alb_hosted_zone_id", "") or "")
    if zone and not re.fullmatch(r"Z[A-Z0-9]{1,31}", zone):
        review.problem(
            "dns_alb_hosted_zone_id",
            f"{zone!r} is not a load balancer's canonical hosted zone id (like Z35SXDOTRQ7X7K)",
        )


def check_buckets(review):
    for variable in (
        "frontend_s3_bucket_name",
        "artifacts_bucket_name",
        "logs_bucket_name",
        "backup_bucket_name",
        "cloudfront_bucket_name",
        "asg_artifact_bucket",
        "frontend_s3_logging_bucket",
        "alb_access_logs_bucket",
    ):
        name = review.get(variable, "")
        if name:
            reason = bucket_name_reason(name)
            if reason:
                review.problem(variable, f"{reason} (S3 bucket naming rules)")
    name = str(review.get("frontend_s3_bucket_name", "") or "")
    if "." in name and review.get("webstack_website_mode") == "cloudfront":
        review.problem(
            "frontend_s3_bucket_name",
            f"{name!r} has dots; CloudFront reaches the bucket over HTTPS, whose certificate does not cover dotted names. Use hyphens",
        )
    prefix = str(review.get("alb_access_logs_prefix", "") or "")
    if review.get("alb_access_logs_bucket") and (prefix.startswith("/") or "AWSLogs" in prefix):
        review.problem(
            "alb_access_logs_prefix",
            f"{prefix!r} must not start with / nor contain AWSLogs (Elastic Load Balancing adds it)",
        )
    for variable in ("frontend_s3_index_document", "frontend_s3_error_document"):
        document = str(review.get(variable, "x") or "")
        if review.get("webstack_website_mode") == "s3_website" and (
            not document or document.startswith("/") or (variable.endswith("index_document") and "/" in document)
        ):
            review.problem(
                variable,
                f"{document!r} is not a key the S3 website endpoint can serve (not empty, no slash); use index.html",
            )
    for variable in (
        "frontend_s3_noncurrent_version_days",
        "frontend_s3_abort_multipart_days",
        "artifacts_noncurrent_days",
        "logs_expiration_days",
        "backup_retention_days",
        "backup_noncurrent_retention_days",
        "backup_aws_backup_retention_days",
        "backup_local_keep_days",
    ):
        if review.has(variable):
            days = _int(review.get(variable))
            if days is None or days < 1:
                review.problem(
                    variable,
                    f"{_describe(review.get(variable))} is not a positive number of days (S3 lifecycle and AWS Backup take 1 or more)",
                )
    for variable in (
        "frontend_s3_kms_key_id",
        "artifacts_kms_key_id",
        "backup_kms_key_id",
        "asg_kms_key_id",
        "mongodb_volume_kms_key_id",
        "mongodb_ssm_kms_key_id",
    ):
        key = review.get(variable, "")
        if key:
            reason = kms_key_reason(key)
            if reason:
                review.problem(variable, reason)
    for variable, encryption in (
        ("frontend_s3_kms_key_id", "frontend_s3_encryption"),
        ("backup_kms_key_id", "backup_bucket_encryption"),
    ):
        if review.get(variable) and review.get(encryption) == "AES256":
            review.problem(
                variable,
                f"is set, but {encryption} is AES256 (S3-managed keys); set {encryption} to aws:kms or empty the key",
            )


def check_load_balancer(review):
    if not review.has("alb_name"):
        return
    name_re = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html (Name) and
    # API_CreateTargetGroup.html (Name): at most 32 alphanumerics or hyphens, no hyphen at either end.
    for variable, what in (("alb_name", "load balancer"), ("alb_target_group_name", "target group")):
        name = str(review.get(variable, ""))
        if not name_re.fullmatch(name):
            review.problem(
                variable,
                f"{name!r} ({len(name)} characters) is not a {what} name: at most 32 letters, digits or hyphens, no hyphen at either end",
            )
        elif variable == "alb_name" and name.lower().startswith("internal-"):
            review.problem(variable, f"{name!r} starts with internal-, which ELB reserves")
    interval, timeout = _int(review.get("alb_health_check_interval")), _int(review.get("alb_health_check_timeout"))
    if interval is not None and timeout is not None and timeout >= interval:
        review.problem(
            "alb_health_check_timeout",
            f"{timeout} s is not shorter than alb_health_check_interval {interval} s; ELB requires timeout < interval",
        )
    path = str(review.get("alb_health_check_path", "/"))
    if not path.startswith("/") or re.search(r"\s", path):
        review.problem("alb_health_check_path", f"{path!r} must start with / and hold no spaces, like /api/health")
    matcher = str(review.get("alb_health_check_matcher", "200"))
    parts = [p.strip() for p in matcher.split(",")]
    for part in parts:
        low, _dash, high = part.partition("-")
        codes = [_int(low), _int(high or low)]
        if None in codes or not 200 <= codes[0] <= codes[1] <= 499:
            review.problem(
                "alb_health_check_matcher",
                f"{matcher!r} is not HTTP codes within 200-499 (like 200, 200,202 or 200-299)",
            )
            break
    delay = _int(review.get("alb_deregistration_delay", 30))
    if delay is None or not 0 <= delay <= 3600:
        review.problem(
            "alb_deregistration_delay",
            f"{review.get('alb_deregistration_delay')!r} is outside 0-3600 seconds, the range of deregistration_delay.timeout_seconds",
        )
    idle = _int(review.get("alb_idle_timeout", 60))
    if idle is None or not 1 <= idle <= 4000:
        review.problem(
            "alb_idle_timeout",
            f"{review.get('alb_idle_timeout')!r} is outside 1-4000 seconds, the range of idle_timeout.timeout_seconds",
        )
    header = str(review.get("alb_origin_verify_header", "X-Origin-Verify"))
    # ALB http-header conditions: an RFC 7230 token of at most 40 characters (HttpHeaderConditionConfig).
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}", header):
        review.problem(
            "alb_origin_verify_header",
            f"{header!r} is not an HTTP header name of at most 40 characters (letters, digits, -)",
        )
    policy = str(review.get("alb_ssl_policy", ""))
    if not re.fullmatch(r"ELBSecurityPolicy-[A-Za-z0-9-]+", policy):
        review.problem(
            "alb_ssl_policy",
            f"{policy!r} is not a predefined ELB security policy (ALBs take no custom ones); use ELBSecurityPolicy-TLS13-1-2-2021-06",
        )
    certificate = review.get("alb_certificate_arn", "")
    if certificate:
        reason = arn_reason(
            certificate,
            "acm",
            r"certificate/[0-9a-f-]+",
            region=review.get("webstack_region"),
            what="ACM certificate ARN",
        )
        if reason:
            review.problem("alb_certificate_arn", reason)
    if review.has("alb_origin_verify_parameter"):
        reason = ssm_name_reason(review.get("alb_origin_verify_parameter"))
        if reason:
            review.problem("alb_origin_verify_parameter", reason)


def instance_architecture(instance_type):
    """arm64 for Graviton types (a g after the generation digit, or a1), else x86_64 (EC2's naming scheme)."""
    family = str(instance_type).split(".", 1)[0]
    return "arm64" if family == "a1" or re.match(r"^[a-z]+\d+[a-z-]*g", family) else "x86_64"


def check_compute(review):
    for prefix, image_var, parameter_var, type_var, size_var, volume_var in (
        (
            "asg",
            "asg_image_id",
            "asg_image_ssm_parameter",
            "asg_instance_type",
            "asg_root_volume_size",
            "asg_root_volume_type",
        ),
        (
            "mongodb",
            "mongodb_ami_id",
            "mongodb_ami_ssm_parameter",
            "mongodb_instance_type",
            "mongodb_volume_size",
            "mongodb_volume_type",
        ),
    ):
        if not review.has(type_var):
            continue
        if prefix == "mongodb" and review.get("mongodb_mode") != "self_hosted":
            continue
        image = str(review.get(image_var, "") or "")
        if image and not re.fullmatch(r"ami-([0-9a-f]{8}|[0-9a-f]{17})", image):
            review.problem(image_var, f"{image!r} is not an AMI id (ami- and 8 or 17 hex digits)")
        parameter = str(review.get(parameter_var, "") or "")
        if not image and parameter:
            reason = ssm_name_reason(parameter, created=False)
            if reason:
                review.problem(parameter_var, reason)
            arch = (
                "arm64"
                if re.search(r"(arm64|aarch64)", parameter)
                else "x86_64"
                if re.search(r"(amd64|x86_64)", parameter)
                else None
            )
            itype = review.get(type_var)
            if arch and instance_architecture(itype) != arch:
                review.problem(
                    type_var,
                    f"{itype} is an {instance_architecture(itype)} type but {parameter_var} names an {arch} image; pick an "
                    f"{arch} type or the {instance_architecture(itype)} image parameter",
                )
        volume_type = str(review.get(volume_var, "gp3"))
        size = _int(review.get(size_var))
        if volume_type not in ROOT_VOLUME_SIZES:
            review.problem(
                volume_var, f"{volume_type!r} cannot be a root volume here; use one of {', '.join(ROOT_VOLUME_SIZES)}"
            )
        elif size is None or not ROOT_VOLUME_SIZES[volume_type][0] <= size <= ROOT_VOLUME_SIZES[volume_type][1]:
            low, high = ROOT_VOLUME_SIZES[volume_type]
            review.problem(
                size_var,
                f"{_describe(review.get(size_var))} GiB is outside {low}-{high}, what an EBS {volume_type} volume can be",
            )
        elif size < 8 and not image and "debian" in parameter:
            review.problem(
                size_var, f"{size} GiB is smaller than the 8 GiB Debian image the instance boots from; use 8 or more"
            )
    if review.has("asg_name"):
        name = str(review.get("asg_name"))
        # The launch template takes the group's name: 3-128 of a-z A-Z 0-9 ( ) . - / _ (CreateLaunchTemplate).
        if not re.fullmatch(r"[a-zA-Z0-9().\-/_]{3,128}", name):
            review.problem(
                "asg_name", f"{name!r} is also the launch template name: 3-128 letters, digits or ( ) . - / _"
            )
    low, high, want = (_int(review.get(n)) for n in ("asg_min_size", "asg_max_size", "asg_desired_capacity"))
    if (
        review.has("asg_min_size", "asg_max_size", "asg_desired_capacity")
        and review.get("webstack_backend_mode") == "asg"
    ):
        if None in (low, high, want) or low < 0 or high < 1:
            review.problem(
                "asg_min_size", "asg_min_size, asg_max_size and asg_desired_capacity are counts: min >= 0, max >= 1"
            )
        elif low > high:
            review.problem("asg_min_size", f"{low} is larger than asg_max_size {high}; make min <= desired <= max")
        elif not low <= want <= high:
            review.problem("asg_desired_capacity", f"{want} is outside asg_min_size..asg_max_size ({low}..{high})")
    cpu = review.get("asg_cpu_target")
    if cpu is not None:
        value = _number(cpu)
        if value is None or not 0 <= value <= 100:
            review.problem(
                "asg_cpu_target", f"{_describe(cpu)} is not a CPU percentage; use 1-100 (0 disables scaling)"
            )
    low, high = (
        _int(review.get("asg_refresh_min_healthy_percentage")),
        _int(review.get("asg_refresh_max_healthy_percentage")),
    )
    if low is not None and high is not None and high - low > 100:
        review.problem(
            "asg_refresh_max_healthy_percentage",
            f"{high} is more than 100 above asg_refresh_min_healthy_percentage {low}; Auto Scaling allows at most 100 between them",
        )
    checkpoints = [_int(c) for c in _list(review.get("asg_refresh_checkpoint_percentages"))]
    if checkpoints and (None in checkpoints or checkpoints != sorted(set(checkpoints)) or checkpoints[-1] != 100):
        review.problem(
            "asg_refresh_checkpoint_percentages",
            f"{review.get('asg_refresh_checkpoint_percentages')} must rise and end with 100, like [50, 100]",
        )
    for variable in ("asg_app_env", "asg_ssm_secrets"):
        env = review.get(variable, {})
        if not isinstance(env, dict):
            review.problem(variable, "must be a mapping of environment variable names to values")
            continue
        for key, value in env.items():
            if not ENV_VAR_RE.match(str(key)):
                review.problem(
                    variable,
                    f"{key!r} is not an environment variable name (letters, digits, _; not starting with a digit)",
                )
            if variable == "asg_app_env" and "\n" in str(value):
                review.problem(
                    variable, f"the value of {key} spans lines; the app's environment file takes one line per variable"
                )
            if variable == "asg_ssm_secrets":
                reason = ssm_name_reason(value, created=False)
                if reason:
                    review.problem(variable, f"{key}: {reason}")
    release = str(review.get("asg_release_id", "") or "")
    if release and not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", release):
        review.problem(
            "asg_release_id", f"{release!r} must be a directory-safe name: letters, digits, . _ - (at most 128)"
        )
    for variable in ("asg_release_parameter",):
        if review.has(variable):
            reason = ssm_name_reason(review.get(variable))
            if reason:
                review.problem(variable, reason)
    for variable in ("asg_artifact_key", "asg_collection_key"):
        key = str(review.get(variable, "") or "")
        if (
            (key or variable == "asg_collection_key")
            and review.has(variable)
            and (not key or key.startswith("/") or len(key.encode()) > 1024)
        ):
            review.problem(variable, f"{key!r} is not an S3 key: not empty, no leading /, at most 1024 bytes")
    requirement = str(review.get("asg_ansible_core_requirement", "ansible-core") or "")
    if review.has("asg_ansible_core_requirement") and not _is_requirement(requirement, "ansible-core"):
        review.problem(
            "asg_ansible_core_requirement",
            f"{requirement!r} is not a pip requirement of ansible-core the instances can install at boot, like ansible-core>=2.17,<2.20",
        )
    name = str(review.get("asg_key_name", "") or "")
    if name and (len(name) > 255 or not name.isascii()):
        review.problem("asg_key_name", f"{name!r} is not an EC2 key pair name (at most 255 ASCII characters)")


def _is_requirement(text, project):
    """Whether text is a PEP 508 requirement of the project (what pip takes), as packaging parses it."""
    if Requirement is None:  # packaging comes with ansible-core; without it, the name is all that is checked
        return bool(re.match(re.escape(project) + r"(\s*[<>=!~;\[]|$)", text))
    try:
        return Requirement(text).name.lower() == project
    except InvalidRequirement:
        return False


def check_web_acl(review):
    if review.has("waf_name"):
        for acl in _list(review.get("waf__acls")):
            # roles/waf/tasks/present.yml names each ACL <waf_name>-<key>.
            name = f"{review.get('waf_name')}-{acl.get('key')}" if isinstance(acl, dict) else ""
            reason = api_reason(name, api_constraint("wafv2", "CreateWebACL.Name"))
            if reason:
                review.problem("waf_name", f"the web ACL name {reason}; shorten waf_name (letters, digits, _ and -)")
    for group in _list(review.get("waf_managed_rule_groups")):
        if not str(group).startswith("AWSManagedRules"):
            review.problem(
                "waf_managed_rule_groups",
                f"{group!r} is not an AWS managed rule group (they are named AWSManagedRules...)",
            )
    if len(set(map(str, _list(review.get("waf_managed_rule_groups"))))) != len(
        _list(review.get("waf_managed_rule_groups"))
    ):
        review.problem("waf_managed_rule_groups", "lists a rule group twice; a web ACL takes each once")
    if review.has("waf_rate_limit"):
        limit = _int(review.get("waf_rate_limit"))
        reason = api_reason(limit, api_constraint("wafv2", "RateBasedStatement.Limit")) if limit else None
        if limit is None or limit < 0 or reason:
            review.problem(
                "waf_rate_limit",
                f"{_describe(review.get('waf_rate_limit'))}: use 0 (no rate rule) or 10-2000000000 requests per 5 minutes",
            )


def check_edge(review):
    if not review.has("cloudfront_name"):
        return
    name = str(review.get("cloudfront_name"))
    # The distribution's Comment (128 characters) and the origin access control's name (64) take it.
    if len(name) > 64:
        review.problem(
            "cloudfront_name", f"{name!r} is {len(name)} characters; the origin access control's name takes 64"
        )
    headers = review.get("cloudfront_security_headers", {})
    if isinstance(headers, dict):
        for key, shape in (("frame_option", "FrameOptionsList"), ("referrer_policy", "ReferrerPolicyList")):
            if key in headers:
                reason = api_reason(headers[key], api_constraint("cloudfront", shape))
                if reason:
                    review.problem("cloudfront_security_headers", f"{key} {reason}")
        max_age = _int(headers.get("hsts_max_age", 0))
        if max_age is None or max_age < 0:
            review.problem(
                "cloudfront_security_headers",
                f"hsts_max_age {headers.get('hsts_max_age')!r} is not a number of seconds",
            )
        csp = str(headers.get("content_security_policy", "") or "")
        if len(csp) > 1783:
            review.problem(
                "cloudfront_security_headers",
                f"content_security_policy is {len(csp)} characters; CloudFront takes at most 1783",
            )
    pattern = str(review.get("cloudfront_api_path_pattern", "/api/*"))
    if not re.fullmatch(r"[A-Za-z0-9_\-.*$/~\"'@:+&]{1,255}", pattern):
        review.problem(
            "cloudfront_api_path_pattern",
            f"{pattern!r} is not a CloudFront path pattern (at most 255 of A-Z a-z 0-9 _ - . * $ / ~ \" ' @ : + &)",
        )
    origin = review.get("cloudfront_api_origin_domain_name", "")
    if origin and domain_reason(origin):
        review.problem("cloudfront_api_origin_domain_name", domain_reason(origin))
    certificate = review.get("cloudfront_acm_certificate_arn", "")
    if certificate:
        reason = arn_reason(
            certificate, "acm", r"certificate/[0-9a-f-]+", region="us-east-1", what="us-east-1 ACM certificate ARN"
        )
        if reason:
            review.problem("cloudfront_acm_certificate_arn", reason)
    acl = review.get("cloudfront_web_acl_arn", "")
    if acl:
        reason = arn_reason(
            acl,
            "wafv2",
            r"global/webacl/[\w-]+/[0-9a-f-]+",
            region="us-east-1",
            what="CLOUDFRONT-scope WAFv2 web ACL ARN",
        )
        if reason:
            review.problem("cloudfront_web_acl_arn", reason)


def mongodb_uri_reason(uri):
    """Why a MongoDB connection string is malformed, or None. Never quotes the string (it holds a password).

    The driver specification's format (https://www.mongodb.com/docs/manual/reference/connection-string/), parsed
    the way the drivers parse it: mongodb://[user:password@]host[:port][,host...][/[database]][?options], or
    mongodb+srv:// with exactly one host, no port. Reserved characters in the user and password are
    percent-encoded.
    """
    text = str(uri or "")
    for scheme in ("mongodb+srv://", "mongodb://"):
        if text.startswith(scheme):
            break
    else:
        return "does not start with mongodb:// or mongodb+srv://"
    rest = text[len(scheme) :]
    if re.search(r"\s", rest):
        return "contains whitespace"
    head, _mark, options = rest.partition("?")
    hosts, _slash, database = head.partition("/")
    if "@" in hosts:
        userinfo, _at, hosts = hosts.rpartition("@")
        if re.search(r"<[^>]*>", userinfo):
            return "still holds a <placeholder> in the user or password; put the real credentials in"
        if "@" in userinfo or userinfo.count(":") > 1 or re.search(r"%(?![0-9A-Fa-f]{2})", userinfo):
            return "has reserved characters (@ : / ? # [ ]) in the user or password that are not percent-encoded"
        if not userinfo.partition(":")[0]:
            return "has an empty user name before the ':'"
    if not hosts:
        return "names no host"
    nodes = hosts.split(",")
    for node in nodes:
        host, port = node, None
        if node.startswith("["):
            host, _bracket, after = node[1:].partition("]")
            port = after[1:] if after.startswith(":") else None
        elif ":" in node:
            host, _colon, port = node.partition(":")
        if not host or (not host.startswith("/") and domain_reason(host) and not _is_ip(host) and host != "localhost"):
            return "has a host that is not a host name or address"
        if port is not None and (not port.isdigit() or not 1 <= int(port) <= 65535):
            return "has a port that is not 1-65535 (or an unencoded ':' in the password)"
    if scheme == "mongodb+srv://":
        if len(nodes) != 1:
            return "is mongodb+srv:// with several hosts; it takes exactly one"
        if ":" in nodes[0]:
            return "is mongodb+srv:// with a port; it takes none"
        if _is_ip(nodes[0]) or nodes[0].count(".") < 1:
            return "is mongodb+srv:// with a host that is not a DNS name like cluster0.abcde.mongodb.net"
    if database and re.search(r'[/\\ "$]', database.split(".", 1)[0]):
        return 'names a database with characters MongoDB does not allow (/ \\ space " $)'
    for option in filter(None, re.split(r"[&;]", options)):
        key, sep, value = option.partition("=")
        if not sep or not key or not value:
            return "has an option that is not key=value"
    return None


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def uri_options(uri):
    """The options of a connection string, keys lower-cased."""
    options = str(uri or "").partition("?")[2]
    pairs = (o.partition("=") for o in re.split(r"[&;]", options) if o)
    return {pair[0].lower(): pair[2] for pair in pairs}


def check_database(review):
    mode = review.get("mongodb_mode")
    if mode == "atlas" and review.data_stage:
        uri = review.secrets.get("mongodb_atlas_uri")
        if not uri:
            review.problem(
                "mongodb_atlas_uri",
                "mongodb_mode is atlas but no connection string is set; put the cluster's mongodb+srv://... URI in the "
                "inventory's vault, or use webstack_mongodb_mode: self_hosted",
            )
    for variable in ("mongodb_atlas_uri", "backup_mongodb_uri"):
        uri = review.secrets.get(variable)
        if uri:
            reason = mongodb_uri_reason(uri)
            if reason:
                review.problem(
                    variable, f"the connection string {reason}; copy it again from Atlas (Connect > Drivers)"
                )
    for variable in ("mongodb_admin_password", "mongodb_app_password"):
        if variable in review.secrets and not review.secrets[variable]:
            review.problem(variable, "is set but empty; remove it (one is generated and kept in SSM) or set a password")
    if mode != "self_hosted":
        return
    database = str(review.get("mongodb_database", "") or "")
    if review.has("mongodb_database") and (
        not database or len(database) > 63 or re.search(r'[/\\. "$*<>:|?]', database)
    ):
        review.problem(
            "mongodb_database",
            f'{database!r} is not a MongoDB database name (1-63 characters, none of / \\ . space " $ * < > : | ?)',
        )
    for variable in ("mongodb_app_user", "mongodb_admin_user"):
        if review.has(variable) and not str(review.get(variable)):
            review.problem(variable, "is empty; name the user")
    length = _int(review.get("mongodb_password_length", 32))
    if length is None or length < 1:
        review.problem("mongodb_password_length", f"{review.get('mongodb_password_length')!r} is not a length; use 32")
    if review.has("mongodb_ssm_prefix"):
        reason = ssm_name_reason(review.get("mongodb_ssm_prefix"))
        if reason:
            review.problem("mongodb_ssm_prefix", reason)
    for variable, pattern, example in (
        ("mongodb_subnet_id", r"subnet-[0-9a-f]{8,17}", "subnet-0123456789abcdef0"),
        ("mongodb_security_group_id", r"sg-[0-9a-f]{8,17}", "sg-0123456789abcdef0"),
    ):
        value = str(review.get(variable, "") or "")
        if value and not re.fullmatch(pattern, value):
            review.problem(variable, f"{value!r} is not an id like {example}")
    cache = _number(review.get("mongodb_cache_size_gb", 0))
    if cache is None or (cache != 0 and not 0.25 <= cache <= 10000):
        review.problem(
            "mongodb_cache_size_gb", f"{review.get('mongodb_cache_size_gb')!r}: use 0 (mongod decides) or 0.25-10000 GB"
        )
    for address in str(review.get("mongodb_bind_ip", "") or "").split(","):
        if address.strip() and not _is_ip(address.strip()):
            review.problem(
                "mongodb_bind_ip", f"{address.strip()!r} is not an IP address; list addresses separated by commas"
            )
    for variable in ("mongodb_storage_path", "mongodb_log_path"):
        path = str(review.get(variable, "/") or "")
        if not path.startswith("/"):
            review.problem(variable, f"{path!r} is not an absolute path")
    if review.has("mongodb_pymongo_version") and not re.fullmatch(
        r"\d+(\.\d+)*", str(review.get("mongodb_pymongo_version"))
    ):
        review.problem(
            "mongodb_pymongo_version", f"{review.get('mongodb_pymongo_version')!r} is not a version like 4.20.0"
        )
    version = str(review.get("mongodb_version", "7.0"))
    if not re.fullmatch(r"\d+\.\d+", version):
        review.problem("mongodb_version", f"{version!r} is not a release series like 7.0")


def check_backups(review):
    schedule = str(review.get("backup_aws_backup_schedule", "") or "")
    # AWS Backup takes cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) in UTC.
    if (
        _bool(review.get("backup_aws_backup_enabled", False))
        and schedule
        and not re.fullmatch(r"cron\(\s*(\S+\s+){5}\S+\s*\)", schedule)
    ):
        review.problem(
            "backup_aws_backup_schedule",
            f"{schedule!r} is not an AWS Backup cron expression with six fields, like cron(0 3 ? * * *)",
        )
    period = _int(review.get("backup_alarm_period_seconds"))
    if review.has("backup_alarm_period_seconds") and (
        period is None
        or period > 86400
        or (period >= 60 and period % 60)
        or (period < 60 and period not in (10, 20, 30))
    ):
        review.problem(
            "backup_alarm_period_seconds",
            f"{review.get('backup_alarm_period_seconds')!r}: CloudWatch alarms take 10, 20, 30 or a multiple of 60 seconds, at most 86400 (one period)",
        )
    namespace = str(review.get("backup_metric_namespace", "") or "")
    if namespace.startswith("AWS/"):
        review.problem(
            "backup_metric_namespace", f"{namespace!r} starts with AWS/, which CloudWatch reserves for AWS services"
        )
    for arn in _list(review.get("backup_alarm_actions")):
        if arn_reason(arn, "sns", r"[\w-]{1,256}", what="SNS topic ARN"):
            review.problem("backup_alarm_actions", arn_reason(arn, "sns", r"[\w-]{1,256}", what="SNS topic ARN"))
    database = str(review.get("backup_database", "") or "")
    if review.has("backup_database") and (
        not database or len(database) > 63 or re.search(r'[/\\. "$*<>:|?]', database)
    ):
        review.problem(
            "backup_database",
            f'{database!r} is not a MongoDB database name (1-63 characters, none of / \\ . space " $ * < > : | ?)',
        )
    if review.get("backup_mongodb_uri_parameter"):
        reason = ssm_name_reason(review.get("backup_mongodb_uri_parameter"), created=False)
        if reason:
            review.problem("backup_mongodb_uri_parameter", reason)
    role = str(review.get("backup_instance_role_name", "") or "")
    if role and api_reason(role, api_constraint("iam", "CreateRole.RoleName")):
        review.problem(
            "backup_instance_role_name", f"{role!r} is not an IAM role name (1-64 of letters, digits and + = , . @ _ -)"
        )
    user = str(review.get("backup_user", "") or "")
    if review.has("backup_user") and not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        review.problem(
            "backup_user", f"{user!r} is not a system user name (lowercase letters, digits, _ and -, at most 32)"
        )
    local_dir = str(review.get("backup_local_dir", "/") or "")
    if not local_dir.startswith("/"):
        review.problem("backup_local_dir", f"{local_dir!r} is not an absolute path")
    schedule = str(review.get("backup_schedule", "x") or "")
    if not schedule.strip() or "\n" in schedule:
        review.problem(
            "backup_schedule", f"{schedule!r} is not a systemd OnCalendar expression, like *-*-* 02:00:00 UTC"
        )
    prefix = str(review.get("backup_s3_prefix", "") or "")
    if review.has("backup_s3_prefix") and (not prefix or prefix.startswith("/") or prefix.endswith("/")):
        review.problem("backup_s3_prefix", f"{prefix!r} is a key prefix without slashes at either end, like mongodb")
    if (
        review.has("backup_name")
        and _bool(review.get("backup_aws_backup_selection_enabled", True))
        and _bool(review.get("backup_aws_backup_enabled", False))
    ):
        # roles/backup/tasks/aws_backup_present.yml names the selection <backup_name>-tagged.
        reason = api_reason(
            f"{review.get('backup_name')}-tagged", api_constraint("backup", "BackupSelection.SelectionName")
        )
        if reason:
            review.problem("backup_name", f"the backup selection name {reason}; shorten backup_name")


def check_monitoring(review):
    if not review.has("cloudwatch_name"):
        return
    topic = str(review.get("cloudwatch__topic_name", "") or "")
    # SNS topic names: 1-256 ASCII letters, digits, _ and - (CreateTopic).
    if topic and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", topic):
        review.problem(
            "cloudwatch_name",
            f"the alert topic name {topic!r} may hold only letters, digits, _ and - (at most 256); rename cloudwatch_name",
        )
    dashboard = str(review.get("cloudwatch__dashboard_name", "") or "")
    # Dashboard names: at most 255 letters, digits, - and _ (PutDashboard).
    if dashboard and not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", dashboard):
        review.problem(
            "cloudwatch_name",
            f"the dashboard name {dashboard!r} may hold only letters, digits, - and _; rename cloudwatch_name",
        )
    for alarm in _list(review.get("cloudwatch__alarms")):
        name = alarm.get("name", "") if isinstance(alarm, dict) else ""
        reason = api_reason(name, api_constraint("cloudwatch", "PutMetricAlarm.AlarmName"))
        if reason:
            review.problem("cloudwatch_name", f"the alarm name {reason}; shorten cloudwatch_name")
            break
    for variable in ("cloudwatch_cpu_high_percent", "cloudwatch_cloudfront_5xx_rate_percent"):
        value = _number(review.get(variable))
        if review.has(variable) and (value is None or not 0 < value <= 100):
            review.problem(
                variable, f"{_describe(review.get(variable))} is not a percentage; use a value above 0 and at most 100"
            )
    for variable in ("cloudwatch_alb_5xx_threshold", "cloudwatch_unhealthy_hosts_threshold"):
        value = _number(review.get(variable))
        if review.has(variable) and (value is None or value < 0):
            review.problem(variable, f"{_describe(review.get(variable))} is not a count (0 or more)")
    for variable in (
        "cloudwatch_target_response_time_seconds",
        "cloudwatch_estimated_charges_usd",
        "cloudwatch_budget_limit_usd",
    ):
        value = _number(review.get(variable))
        if review.has(variable) and (value is None or value <= 0):
            review.problem(variable, f"{_describe(review.get(variable))} is not a positive number")
    for variable in ("cloudwatch_budget_actual_thresholds", "cloudwatch_budget_forecasted_thresholds"):
        values = [_number(t) for t in _list(review.get(variable))]
        if None in values or any(v <= 0 for v in values):
            review.problem(
                variable, f"{review.get(variable)} must be percentages of the budget above 0, like [80, 100, 120]"
            )
    if review.has("cloudwatch_budget_actual_thresholds", "cloudwatch_budget_forecasted_thresholds") and _bool(
        review.get("cloudwatch_budget_enabled", True)
    ):
        count = len(set(map(str, _list(review.get("cloudwatch_budget_actual_thresholds"))))) + len(
            set(map(str, _list(review.get("cloudwatch_budget_forecasted_thresholds"))))
        )
        if count > 10:
            review.problem(
                "cloudwatch_budget_actual_thresholds", f"{count} notifications in all; AWS Budgets allows 10 per budget"
            )
    emails = _list(review.get("cloudwatch_alert_emails"))
    if len(emails) > 10 and _bool(review.get("cloudwatch_budget_enabled", True)):
        review.problem(
            "cloudwatch_alert_emails",
            f"{len(emails)} addresses; AWS Budgets allows 10 e-mail subscribers per notification",
        )
    # Set only to watch parts another run made (else the asg, alb and cloudfront roles' outputs).
    for variable, service, resource, what in (
        ("cloudwatch_alb_arn", "elasticloadbalancing", r"loadbalancer/app/[\w-]+/[0-9a-f]+", "load balancer ARN"),
        ("cloudwatch_target_group_arn", "elasticloadbalancing", r"targetgroup/[\w-]+/[0-9a-f]+", "target group ARN"),
    ):
        arn = review.get(variable, "")
        if arn and arn_reason(arn, service, resource, what=what):
            review.problem(variable, arn_reason(arn, service, resource, what=what))
    distribution = str(review.get("cloudwatch_cloudfront_distribution_id", "") or "")
    if distribution and not re.fullmatch(r"E[A-Z0-9]{5,}", distribution):
        review.problem(
            "cloudwatch_cloudfront_distribution_id", f"{distribution!r} is not a distribution id like E2QWRUHAPOMQZL"
        )
    instance = str(review.get("cloudwatch_instance_id", "") or "")
    if instance and not re.fullmatch(r"i-([0-9a-f]{8}|[0-9a-f]{17})", instance):
        review.problem("cloudwatch_instance_id", f"{instance!r} is not an instance id like i-0123456789abcdef0")
    filters = review.get("cloudwatch_budget_cost_filters", {})
    if not isinstance(filters, dict) or any(
        not isinstance(v, list) or not all(isinstance(x, str) for x in v) for v in filters.values()
    ):
        review.problem(
            "cloudwatch_budget_cost_filters",
            "must map a filter name to a list of strings, like {TagKeyValue: ['user:Environment$prod']}",
        )


URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$")


def check_stages(review):
    """The deploy and validate stages' roles, checked here too: they run after the infrastructure exists."""
    if "website" in review.roles and review.get("website_state", "present") == "present":
        if review.get("website_action", "deploy") == "deploy" and not review.get("website_build_dir"):
            review.problem(
                "website_build_dir",
                "empty, but the website is deployed in this run; set it to the frontend's build output (with "
                "website_build_command and website_source_dir, where the build lands)",
            )
        for variable, low in (("website_max_delete", 0), ("website_workers", 1), ("website_keep_releases", 1)):
            value = _int(review.get(variable, low))
            if value is None or value < low:
                review.problem(variable, f"{_describe(review.get(variable))} must be a whole number of at least {low}")
        if review.has("website_release_parameter"):
            reason = ssm_name_reason(review.get("website_release_parameter"))
            if reason:
                review.problem("website_release_parameter", reason)
        for rule in _list(review.get("website_cache_rules")):
            if not isinstance(rule, dict) or not rule.get("pattern") or not rule.get("cache_control"):
                review.problem(
                    "website_cache_rules",
                    f"{_describe(rule)} needs a pattern and a cache_control, like {{pattern: '*.js', cache_control: 'max-age=31536000'}}",
                )
        target = str(review.get("website_rollback_to", "previous") or "")
        if review.get("website_action") == "rollback" and not re.fullmatch(
            r"previous|last_good|[A-Za-z0-9._-]{1,128}", target
        ):
            review.problem("website_rollback_to", f"{target!r}: use previous, last_good or a release id")
        url = str(review.get("website_backend_url", "") or "")
        if url and not URL_RE.match(url):
            review.problem("website_backend_url", f"{url!r} is not an http(s) URL (empty means the site's own origin)")
    if "backend_release" in review.roles and review.get("backend_release_action", "deploy") == "deploy":
        release = str(review.get("backend_release_id", "") or "")
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", release):
            review.problem(
                "backend_release_id",
                f"{release!r} must be the release to deploy, a directory-safe name (letters, digits, . _ -; at most 128), like 1.4.0",
            )
        retries = _int(review.get("backend_release_validate_retries", 1))
        if retries is None or retries < 1:
            review.problem(
                "backend_release_validate_retries",
                f"{_describe(review.get('backend_release_validate_retries'))} must be 1 or more",
            )
        if not str(review.get("backend_release_validate_path", "/")).startswith("/"):
            review.problem(
                "backend_release_validate_path", f"{review.get('backend_release_validate_path')!r} must start with /"
            )
        url = str(review.get("backend_release_validate_url", "") or "")
        if url and not URL_RE.match(url):
            review.problem("backend_release_validate_url", f"{url!r} is not an http(s) URL")
    if "validate" in review.roles:
        for variable, low in (
            ("validate_website_max_latency_ms", 1),
            ("validate_api_max_latency_ms", 1),
            ("validate_retries", 1),
            ("validate_cert_min_days", 0),
        ):
            value = _int(review.get(variable, low))
            if value is None or value < low:
                review.problem(variable, f"{_describe(review.get(variable))} must be a whole number of at least {low}")
        backoff = _number(review.get("validate_backoff", 0))
        if backoff is None or backoff < 0:
            review.problem("validate_backoff", f"{_describe(review.get('validate_backoff'))} must be 0 or more seconds")
        if not str(review.get("validate_api_health_path", "/")).startswith("/"):
            review.problem("validate_api_health_path", f"{review.get('validate_api_health_path')!r} must start with /")
        endpoints = review.get("validate_endpoints", {})
        if isinstance(endpoints, dict):
            for key, url in endpoints.items():
                if url and not URL_RE.match(str(url)):
                    review.problem("validate_endpoints", f"{key}: {url!r} is not an http(s) URL")


# --- settings that weaken security ----------------------------------------------------------------------------


class SecurityRule:
    """A setting that weakens the stack's security: refused at policy level strict, else a flagged exception."""

    def __init__(self, rule_id, summary, check):
        self.id, self.summary, self.check = rule_id, summary, check


def _weak_tls_policy(review):
    policy = str(review.get("alb_ssl_policy", "") or "")
    # The predefined policies name their lowest TLS version: ...-TLS13-1-2-..., ...-TLS-1-2-..., ...-FS-1-2-...;
    # the others (ELBSecurityPolicy-2016-08, -TLS-1-0-, -TLS13-1-1-, -FS-2018-06, ...) also accept TLS 1.0 or 1.1.
    if review.has("alb_name") and policy and not re.search(r"-(TLS13|TLS|FS)-1-[23](-|$)", policy):
        yield (
            "alb_ssl_policy",
            f"{policy} lets clients connect with TLS 1.0 or 1.1; use ELBSecurityPolicy-TLS13-1-2-2021-06",
        )


def _weak_cloudfront_tls(review):
    version = str(review.get("cloudfront_minimum_protocol_version", "") or "")
    match = re.fullmatch(r"TLSv(\d)(?:\.(\d))?(?:_(\d{4}))?", version)
    if (
        review.has("cloudfront_name")
        and version
        and (not match or (int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)) < (1, 2, 2021))
        and not version.startswith("TLSv1.3")
    ):
        yield (
            "cloudfront_minimum_protocol_version",
            f"{version} is below TLSv1.2_2021 (older protocols or ciphers); use TLSv1.2_2021",
        )


def _world(cidrs):
    return [c for c in _list(cidrs) if str(c) in ("0.0.0.0/0", "::/0")]


def _world_open_app(review):
    if _world(review.get("vpc_app_public_ingress_cidrs")):
        yield (
            "vpc_app_public_ingress_cidrs",
            "opens the backend instances to the whole internet (0.0.0.0/0); list your own ranges, or use the load balancer",
        )


def _world_open_admin_or_database(review):
    groups = [
        g
        for g in _list(review.get("vpc__security_groups")) + _list(review.get("vpc_extra_security_groups"))
        if isinstance(g, dict)
    ]
    ports = tuple(sorted({22, 3389, 27017} | ({_int(review.get("vpc_db_port"))} - {None})))
    try:
        violations = world_open_violations(groups, forbidden_ports=ports)
    except (KeyError, TypeError, ValueError):  # a malformed rule is reported by the network checks
        return
    for violation in violations:
        yield (
            "vpc_extra_security_groups",
            f"{violation} (SSH, RDP or the database); open it to your own ranges or use SSM Session Manager",
        )


def _public_website(review):
    if review.get("webstack_website_mode") == "s3_website":
        yield (
            "webstack_website_mode",
            "s3_website serves from a public S3 website endpoint (no CDN, no TLS, public-read objects), the explicit "
            "exception to private buckets; use cloudfront",
        )


def _waf_off(review):
    if review.get("webstack_waf_mode") == "off":
        yield (
            "webstack_waf_mode",
            "off leaves the site and API without a web application firewall; set it to block (or count while tuning)",
        )
    elif review.get("webstack_waf_mode") in ("count", "block") and review.has("waf_rate_limit"):
        if _int(review.get("waf_rate_limit")) == 0:
            yield "waf_rate_limit", "0 removes the per-client rate limit; keep a limit like 2000 requests per 5 minutes"
        if not _list(review.get("waf_managed_rule_groups")):
            yield "waf_managed_rule_groups", "is empty, so the web ACL blocks nothing; keep AWS's managed rule groups"


def _flow_logs_off(review):
    if review.has("vpc_flow_logs_enabled") and not _bool(review.get("vpc_flow_logs_enabled")):
        yield "vpc_flow_logs_enabled", "false leaves no record of the network's traffic; set it to true"


def _access_logs_off(review):
    if not _bool(review.get("webstack_access_logs", False)):
        yield (
            "webstack_access_logs",
            "false keeps no access logs of the buckets, the load balancer, CloudFront or the web ACLs; set it to true",
        )
    elif review.has("waf_logging_enabled") and not _bool(review.get("waf_logging_enabled")):
        yield (
            "waf_logging_enabled",
            "false keeps no log of the requests the web ACLs see; leave it to webstack_access_logs",
        )


def _plain_http_origin(review):
    if review.has("alb_name", "alb_require_https") and not _bool(review.get("alb_require_https")):
        yield (
            "alb_require_https",
            "false lets the load balancer serve plain HTTP (CloudFront reaches it unencrypted); set it to true with a certificate",
        )


def _ssh_key(review):
    if review.get("asg_key_name"):
        yield (
            "asg_key_name",
            "puts an SSH key pair on the backend instances; leave it empty and use SSM Session Manager",
        )


def _short_hsts(review):
    headers = review.get("cloudfront_security_headers", {})
    max_age = _int(headers.get("hsts_max_age", 0)) if isinstance(headers, dict) else None
    if review.has("cloudfront_name") and max_age is not None and max_age < 31536000:
        yield (
            "cloudfront_security_headers",
            f"hsts_max_age {headers.get('hsts_max_age')} is under a year; browsers may fall back to HTTP. Use 31536000 or more",
        )


def _plaintext_database(review):
    for variable in ("mongodb_atlas_uri", "backup_mongodb_uri"):
        options = uri_options(review.secrets.get(variable))
        if (
            options.get("tls", options.get("ssl", "")).lower() == "false"
            or options.get("tlsinsecure", "").lower() == "true"
        ):
            yield (
                variable,
                "turns TLS off (or its certificate checks) for the database connection; remove tls=false / tlsInsecure",
            )


def _short_passwords(review):
    length = _int(review.get("mongodb_password_length", 32))
    if review.get("mongodb_mode") == "self_hosted" and length is not None and 0 < length < 16:
        yield (
            "mongodb_password_length",
            f"{length} makes weak generated database passwords; use 16 or more (32 by default)",
        )


# The rules, in one place. docs/preflight.md explains each; a unit test keeps that list in step with this one.
# Not here because no setting weakens them: encrypted volumes and buckets, IMDSv2 with hop limit 1 (the roles
# always set them).
SECURITY_RULES = (
    SecurityRule("alb-tls", "The load balancer's HTTPS listener accepts TLS 1.2 or newer only.", _weak_tls_policy),
    SecurityRule(
        "cloudfront-tls", "CloudFront's minimum viewer protocol is TLSv1.2_2021 or newer.", _weak_cloudfront_tls
    ),
    SecurityRule(
        "origin-https", "The load balancer serves HTTPS (CloudFront reaches it encrypted).", _plain_http_origin
    ),
    SecurityRule("app-not-world-open", "Backend instances are not open to the whole internet.", _world_open_app),
    SecurityRule(
        "admin-db-not-world-open",
        "No security group opens SSH, RDP or the database to the whole internet.",
        _world_open_admin_or_database,
    ),
    SecurityRule(
        "private-website-bucket",
        "The website bucket is private behind CloudFront (dev's S3 website is the flagged exception).",
        _public_website,
    ),
    SecurityRule(
        "waf-on", "A web application firewall with managed rules and a rate limit protects the site and API.", _waf_off
    ),
    SecurityRule("flow-logs-on", "VPC flow logs record the network's traffic.", _flow_logs_off),
    SecurityRule(
        "access-logs-on",
        "Access logs of the buckets, the load balancer, CloudFront and the web ACLs are kept.",
        _access_logs_off,
    ),
    SecurityRule("no-ssh-key", "Backend instances carry no SSH key pair (SSM Session Manager instead).", _ssh_key),
    SecurityRule("hsts-a-year", "HSTS tells browsers to use HTTPS for at least a year.", _short_hsts),
    SecurityRule(
        "database-tls", "Connections to the database keep TLS and its certificate checks.", _plaintext_database
    ),
    SecurityRule("strong-db-passwords", "Generated database passwords have 16 characters or more.", _short_passwords),
)


def check_security(review):
    level = review.get("webstack_policy_level", "warning")
    for rule in SECURITY_RULES:
        for variable, text in rule.check(review):
            if review.strict:
                review.problem(variable, f"{text} [{rule.id}; refused at webstack_policy_level strict]")
            else:
                review.exceptions.append(f"{variable}: {text} [{rule.id}; allowed at webstack_policy_level {level}]")


CHECKS = (
    check_names,
    check_region,
    check_tags,
    check_flags,
    check_network,
    check_certificates,
    check_buckets,
    check_load_balancer,
    check_compute,
    check_web_acl,
    check_edge,
    check_database,
    check_backups,
    check_monitoring,
    check_stages,
    check_api_parameters,
    check_security,
)


def review(variables, secrets=None, argument_specs=None, roles=None, data_stage=True):
    """(problems, exceptions): every problem (each a sentence naming the variable and the fix), and the weak
    settings this environment's policy level allows (its flagged exceptions)."""
    result = Review(variables, secrets, roles, data_stage)
    result.problems.extend(argument_spec_problems(argument_specs, result.variables))
    for check in CHECKS:
        check(result)
    return result.problems, result.exceptions
