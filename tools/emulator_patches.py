"""Small, documented fixes to gaps in the moto emulator (moto 5.2.5), applied by the harness only.

Policy (DESIGN.md): where the emulator lacks or mangles an AWS behaviour, fix the emulator here,
with a test in tests/unit/test_emulator_patches.py that shows the gap; never special-case the
emulator inside the collection.
"""

from __future__ import annotations

import functools
from datetime import UTC


def _keep_cloudfront_origin_fields() -> None:
    """CloudFront: moto drops an origin's OriginAccessControlId and S3OriginConfig when it stores it.

    Real CloudFront returns both as sent, so a module comparing desired with actual would otherwise
    see a change on every run. Keep the two fields on the model object so the serializer emits them.
    """
    from moto.cloudfront import models  # noqa: PLC0415

    original = models.Origin.__init__
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def __init__(self, origin):  # noqa: N807
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId", "")
        if "S3OriginConfig" in origin:
            self.s3_origin_config = origin["S3OriginConfig"]

    __init__._webstack_patched = True
    models.Origin.__init__ = __init__


def _budgets_subscribers_and_update() -> None:
    """Budgets: moto lacks DescribeSubscribersForNotification and UpdateBudget.

    moto stores each notification's subscribers but offers no call to read them back, and has no
    UpdateBudget; real AWS has both. Without them a budget module can neither see a changed e-mail
    list nor change a limit. Add the two calls on top of moto's own models.
    """
    import json  # noqa: PLC0415

    from moto.budgets import models, responses  # noqa: PLC0415

    if getattr(responses.BudgetsResponse, "_webstack_patched", False):
        return

    def describe_subscribers_for_notification(self):
        budget = self.backend.budgets[self._get_param("AccountId")].get(self._get_param("BudgetName"))
        if budget is None:
            raise models.NotFoundException("Unable to get subscribers - the budget doesn't exist.")
        wanted = self._get_param("Notification")
        for notification in budget.notifications:
            if notification.details == wanted:
                return json.dumps({"Subscribers": notification.subscribers})
        raise models.NotFoundException("Unable to get subscribers - the notification doesn't exist.")

    def update_budget(self):
        new = self._get_param("NewBudget")
        budget = self.backend.budgets[self._get_param("AccountId")].get(new["BudgetName"])
        if budget is None:
            raise models.NotFoundException("Unable to update budget - the budget doesn't exist.")
        budget.budget.update(new)
        return json.dumps({})

    responses.BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification
    responses.BudgetsResponse.update_budget = update_budget
    responses.BudgetsResponse._webstack_patched = True


def _backup_vault_missing_is_access_denied() -> None:
    """AWS Backup: DescribeBackupVault on a vault that does not exist answers AccessDeniedException.

    Real AWS answers 403 AccessDeniedException ("Insufficient privileges"), even with full rights
    (aws/aws-sdk-js#2625, ansible-collections/amazon.aws#1436); amazon.aws.backup_vault relies on
    that to know the vault is missing. moto 5.2.5 answers ResourceNotFoundException, which makes
    the stock module fail on its create path. Answer as AWS does.
    """
    from moto.backup import models  # noqa: PLC0415
    from moto.core.exceptions import JsonRESTError  # noqa: PLC0415

    original = models.BackupBackend.describe_backup_vault
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def describe_backup_vault(self, backup_vault_name):
        if backup_vault_name not in self.vaults:
            error = JsonRESTError("AccessDeniedException", "Insufficient privileges to perform this action.")
            error.code = 403
            raise error
        return original(self, backup_vault_name)

    describe_backup_vault._webstack_patched = True
    models.BackupBackend.describe_backup_vault = describe_backup_vault


def _cloudfront_response_headers_policies() -> None:
    """CloudFront: moto 5.2.5 has no response headers policy API (every call is a 404).

    Adds Create/Get/GetConfig/List/Update/Delete ResponseHeadersPolicy with the real API's shapes,
    ETag/IfMatch handling and NoSuchResponseHeadersPolicy errors, stored per account on the backend.
    The managed policies are not listed (the collection only lists Type=custom).
    """
    import uuid  # noqa: PLC0415

    from moto.cloudfront import urls  # noqa: PLC0415
    from moto.cloudfront.exceptions import CloudFrontException  # noqa: PLC0415
    from moto.cloudfront.responses import CloudFrontResponse  # noqa: PLC0415
    from moto.core.responses import ActionResult, EmptyResult  # noqa: PLC0415
    from moto.core.utils import utcnow  # noqa: PLC0415

    if getattr(CloudFrontResponse, "_webstack_rhp_patched", False):
        return

    class NoSuchResponseHeadersPolicy(CloudFrontException):
        code = 404

        def __init__(self) -> None:
            super().__init__("NoSuchResponseHeadersPolicy", "The specified response headers policy does not exist.")

    class PreconditionFailed(CloudFrontException):
        code = 412

        def __init__(self) -> None:
            super().__init__("PreconditionFailed", "The If-Match version does not match the current version.")

    class ResponseHeadersPolicyAlreadyExists(CloudFrontException):
        code = 409

        def __init__(self) -> None:
            super().__init__("ResponseHeadersPolicyAlreadyExists", "A response headers policy with this name exists.")

    def store(response):
        backend = response.backend
        if not hasattr(backend, "webstack_response_headers_policies"):
            backend.webstack_response_headers_policies = {}
        return backend.webstack_response_headers_policies

    def lookup(response):
        policy_id = response._get_param("Id")
        policy = store(response).get(policy_id)
        if policy is None:
            raise NoSuchResponseHeadersPolicy()
        return policy

    def result(policy):
        body = {"Id": policy["Id"], "LastModifiedTime": policy["LastModifiedTime"]}
        body["ResponseHeadersPolicyConfig"] = policy["Config"]
        return body

    def create_response_headers_policy(self):
        config = self._get_param("ResponseHeadersPolicyConfig", {})
        if any(p["Config"].get("Name") == config.get("Name") for p in store(self).values()):
            raise ResponseHeadersPolicyAlreadyExists()
        policy_id = str(uuid.uuid4())
        policy = {"Id": policy_id, "LastModifiedTime": utcnow(), "Config": config, "ETag": uuid.uuid4().hex[:14]}
        store(self)[policy_id] = policy
        location = f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/{policy_id}"
        return ActionResult({"ResponseHeadersPolicy": result(policy), "ETag": policy["ETag"], "Location": location})

    def get_response_headers_policy(self):
        policy = lookup(self)
        return ActionResult({"ResponseHeadersPolicy": result(policy), "ETag": policy["ETag"]})

    def get_response_headers_policy_config(self):
        policy = lookup(self)
        return ActionResult({"ResponseHeadersPolicyConfig": policy["Config"], "ETag": policy["ETag"]})

    def update_response_headers_policy(self):
        policy = lookup(self)
        if self._get_param("IfMatch") != policy["ETag"]:
            raise PreconditionFailed()
        policy.update(
            Config=self._get_param("ResponseHeadersPolicyConfig", {}),
            LastModifiedTime=utcnow(),
            ETag=uuid.uuid4().hex[:14],
        )
        return ActionResult({"ResponseHeadersPolicy": result(policy), "ETag": policy["ETag"]})

    def delete_response_headers_policy(self):
        policy = lookup(self)
        if self._get_param("IfMatch") != policy["ETag"]:
            raise PreconditionFailed()
        del store(self)[policy["Id"]]
        return EmptyResult()

    def list_response_headers_policies(self):
        kind = self._get_param("Type")
        policies = [] if kind == "managed" else list(store(self).values())
        items = [{"Type": "custom", "ResponseHeadersPolicy": result(p)} for p in policies]
        return ActionResult({"ResponseHeadersPolicyList": {"MaxItems": 100, "Quantity": len(items), "Items": items}})

    for func in (
        create_response_headers_policy,
        get_response_headers_policy,
        get_response_headers_policy_config,
        update_response_headers_policy,
        delete_response_headers_policy,
        list_response_headers_policies,
    ):
        setattr(CloudFrontResponse, func.__name__, func)
    dispatch = CloudFrontResponse.dispatch
    urls.url_paths.update(
        {
            "{0}/2020-05-31/response-headers-policy$": dispatch,
            "{0}/2020-05-31/response-headers-policy/(?P<Id>[^/]+)$": dispatch,
            "{0}/2020-05-31/response-headers-policy/(?P<Id>[^/]+)/config$": dispatch,
        }
    )
    CloudFrontResponse._webstack_rhp_patched = True


def _s3_bucket_policy_secure_transport() -> None:
    """S3: a bucket policy's `aws:SecureTransport` condition is not evaluated; conditional denies deny all.

    moto 5.2.5 ignores Conditions in bucket policies ("Conditions are not taken into account") and
    its statement check answers DENIED when a condition has no value, so the standard "deny
    non-TLS requests" statement (Deny s3:* when aws:SecureTransport is false) blocks every object
    request. Real S3 evaluates the condition: requests over HTTPS are allowed. The emulator stands
    in for AWS's HTTPS endpoint, so evaluate `aws:SecureTransport` as true and drop statements whose
    only condition is that key and does not hold; everything else is left to moto.
    """
    import json  # noqa: PLC0415

    from moto.iam.access_control import IAMPolicy  # noqa: PLC0415
    from moto.s3 import models  # noqa: PLC0415

    original = models.FakeBucket.get_permission
    if getattr(original, "_webstack_patched", False):
        return

    def secure_transport_holds(condition: dict) -> bool:
        for operator, pairs in condition.items():
            values = pairs["aws:SecureTransport"]
            values = [str(v).lower() for v in (values if isinstance(values, list) else [values])]
            holds = "true" in values
            if operator in ("Bool", "StringEquals", "StringEqualsIgnoreCase"):
                pass
            elif operator in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
                holds = not holds
            else:
                return True  # an operator we do not model: keep moto's behaviour
            if not holds:
                return False
        return True

    @functools.wraps(original)
    def get_permission(self, action, resource):
        if self.policy is None:
            return original(self, action, resource)
        doc = json.loads(self.policy)
        statements = doc.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = []
        for statement in statements:
            condition = statement.get("Condition")
            if condition and all(set(pairs) == {"aws:SecureTransport"} for pairs in condition.values()):
                if not secure_transport_holds(condition):
                    continue
                statement = {k: v for k, v in statement.items() if k != "Condition"}  # noqa: PLW2901
            kept.append(statement)
        return IAMPolicy(json.dumps({**doc, "Statement": kept})).is_action_permitted(action, resource)

    get_permission._webstack_patched = True
    models.FakeBucket.get_permission = get_permission


def _ssm_debian_public_ami_parameters() -> None:
    """SSM: Debian's public AMI parameters (/aws/service/debian/release/...) are missing.

    Real AWS publishes `/aws/service/debian/release/12/latest/amd64` (and arm64) as public SSM
    parameters naming the latest Debian 12 AMI; moto 5.2.5 ships only the Amazon Linux, ECS and
    global-infrastructure trees, and has no Debian image at all. Serve the two Debian 12 parameters
    with one of moto's built-in HVM images (ami-785db401) so a role that resolves its AMI this way
    runs unchanged against the emulator.
    """
    from moto.ssm import models  # noqa: PLC0415

    original = models.ParameterDict._check_loading_status
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def _check_loading_status(self, key):
        original(self, key)
        if str(key or "").startswith("/aws/service/debian") and not getattr(self, "_webstack_debian_loaded", False):
            self._webstack_debian_loaded = True
            for arch in ("amd64", "arm64"):
                name = f"/aws/service/debian/release/12/latest/{arch}"
                super(models.ParameterDict, self).__getitem__(name).append(
                    models.Parameter(
                        account_id=self.account_id,
                        name=name,
                        value="ami-785db401",
                        parameter_type="String",
                        description=None,
                        allowed_pattern=None,
                        keyid=None,
                        last_modified_date=1700000000.0,
                        version=1,
                        data_type="aws:ec2:image",
                    )
                )

    _check_loading_status._webstack_patched = True
    models.ParameterDict._check_loading_status = _check_loading_status


def _autoscaling_instance_refresh() -> None:
    """Auto Scaling: instance refresh is not implemented (500), and instances misreport their version.

    moto 5.2.5 answers 500 to StartInstanceRefresh / DescribeInstanceRefreshes / RollbackInstanceRefresh /
    CancelInstanceRefresh, and reports every instance's launch template version as the template's
    *default* version rather than the version the instance was launched from. Real AWS records the
    launched version per instance and runs refreshes asynchronously.

    Emulate a refresh that succeeds at once: apply the desired configuration to the group, replace
    its instances (scale to 0 and back, so they deregister and re-register in the target groups),
    and record the refresh as Successful. Rollback/Cancel then find no active refresh, as AWS says
    once a refresh has ended. Failure and rollback paths are covered by unit tests on real-shaped
    responses (tests/unit/autoscaling_release), not here.
    """
    import uuid  # noqa: PLC0415
    from datetime import datetime  # noqa: PLC0415

    from moto.autoscaling import models, responses  # noqa: PLC0415
    from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError  # noqa: PLC0415
    from moto.core.responses import ActionResult  # noqa: PLC0415

    if getattr(responses.AutoScalingResponse, "_webstack_refresh_patched", False):
        return

    class ActiveInstanceRefreshNotFoundError(AutoscalingClientError):
        code = "ActiveInstanceRefreshNotFound"

    original_init = models.InstanceState.__init__

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):  # noqa: N807
        original_init(self, *args, **kwargs)
        group = self.auto_scaling_group
        version = getattr(group, "provided_launch_template_version", None)
        if group.ec2_launch_template is not None and version in (None, "$Default"):
            version = group.ec2_launch_template.default_version_number
        elif group.ec2_launch_template is not None and version == "$Latest":
            version = group.ec2_launch_template.latest_version_number
        self._webstack_lt_version = version

    def launch_template(self):
        group = self.auto_scaling_group
        if group.ec2_launch_template is None:
            return None
        return {
            "LaunchTemplateId": group.ec2_launch_template.id,
            "LaunchTemplateName": group.ec2_launch_template.name,
            "Version": str(getattr(self, "_webstack_lt_version", group.ec2_launch_template.default_version_number)),
        }

    models.InstanceState.__init__ = __init__
    models.InstanceState.launch_template = property(launch_template)

    def _refreshes(backend):
        if not hasattr(backend, "_webstack_refreshes"):
            backend._webstack_refreshes = {}
        return backend._webstack_refreshes

    def _group(backend, name):
        if name not in backend.autoscaling_groups:
            raise ValidationError(f"AutoScalingGroup name not found - {name}")
        return backend.autoscaling_groups[name]

    def start_instance_refresh(self):
        backend = self.autoscaling_backend
        name = self._get_param("AutoScalingGroupName")
        group = _group(backend, name)
        desired = self._get_param("DesiredConfiguration", {}) or {}
        now = datetime.now(UTC)
        if desired.get("LaunchTemplate"):
            group._set_launch_configuration(None, desired["LaunchTemplate"], mixed_instances_policy=None)
        capacity = group.desired_capacity
        old_ids = [state.instance.id for state in group.instance_states]
        group.set_desired_capacity(0)
        group.set_desired_capacity(capacity)
        for arn in group.target_group_arns:
            registered = set(backend.elbv2_backend.target_groups[arn].targets)
            gone = [{"Id": i} for i in old_ids if i in registered]
            if gone:
                backend.elbv2_backend.deregister_targets(arn, gone)
        backend.update_attached_target_groups(name)
        refresh = {
            "InstanceRefreshId": str(uuid.uuid4()),
            "AutoScalingGroupName": name,
            "Status": "Successful",
            "StatusReason": "Emulated: completed at once",
            "StartTime": now,
            "EndTime": now,
            "PercentageComplete": 100,
            "InstancesToUpdate": 0,
            "Preferences": self._get_param("Preferences", {}) or {},
            "DesiredConfiguration": desired,
            "Strategy": self._get_param("Strategy") or "Rolling",
        }
        _refreshes(backend).setdefault(name, []).insert(0, refresh)
        return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})

    def describe_instance_refreshes(self):
        name = self._get_param("AutoScalingGroupName")
        _group(self.autoscaling_backend, name)
        found = _refreshes(self.autoscaling_backend).get(name, [])
        ids = self._get_param("InstanceRefreshIds", []) or []
        if ids:
            found = [r for r in found if r["InstanceRefreshId"] in ids]
        limit = self._get_int_param("MaxRecords", 50)
        return ActionResult({"InstanceRefreshes": found[:limit]})

    def _no_active(self):
        name = self._get_param("AutoScalingGroupName")
        _group(self.autoscaling_backend, name)
        raise ActiveInstanceRefreshNotFoundError(
            "No in progress or pending Instance Refresh found for Auto Scaling group " + name
        )

    responses.AutoScalingResponse.start_instance_refresh = start_instance_refresh
    responses.AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
    responses.AutoScalingResponse.rollback_instance_refresh = _no_active
    responses.AutoScalingResponse.cancel_instance_refresh = _no_active
    responses.AutoScalingResponse._webstack_refresh_patched = True


def _ec2_launch_interfaces_delete_on_termination() -> None:
    """EC2: network interfaces created at launch outlive their instance.

    Real EC2 deletes the interfaces it creates for an instance at launch when the instance terminates
    (DeleteOnTermination defaults to true for them). moto 5.2.5 creates the implicit primary interface
    with DeleteOnTermination false, so after an Auto Scaling Group is deleted its instances' interfaces
    stay behind and the VPC cannot be deleted. Mark interfaces created at launch for deletion unless the
    request named an existing interface or set DeleteOnTermination to false.
    """
    from moto.ec2.models import instances  # noqa: PLC0415

    original = instances.Instance.prep_nics
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def prep_nics(self, nic_spec, *args, **kwargs):
        existing = {n.get("NetworkInterfaceId") for n in nic_spec or [] if n.get("NetworkInterfaceId")}
        keep = {
            int(n.get("DeviceIndex", 0))
            for n in nic_spec or []
            if str(n.get("DeleteOnTermination", "")).lower() == "false"
        }
        original(self, nic_spec, *args, **kwargs)
        for index, nic in self.nics.items():
            if nic.id not in existing and index not in keep:
                nic.delete_on_termination = True

    prep_nics._webstack_patched = True
    instances.Instance.prep_nics = prep_nics


def _ec2_launch_template_version_user_data() -> None:
    """EC2: launching from a launch template version created by CreateLaunchTemplateVersion fails (500).

    moto 5.2.5 wraps UserData in its Base64EncodedString type in CreateLaunchTemplate but stores the
    raw string in CreateLaunchTemplateVersion; launching an instance (an Auto Scaling Group scaling or
    refreshing onto version 2+) then trips an assertion. Real EC2 launches from any version. Wrap the
    stored string when it is read.
    """
    from moto.core.types import Base64EncodedString  # noqa: PLC0415
    from moto.ec2.models import launch_templates  # noqa: PLC0415

    original = launch_templates.LaunchTemplateVersion.user_data
    if getattr(original.fget, "_webstack_patched", False):
        return

    def user_data(self):
        value = self.data.get("UserData")
        if isinstance(value, str):
            self.data["UserData"] = value = Base64EncodedString(value)
        return original.fget(self)

    user_data._webstack_patched = True
    launch_templates.LaunchTemplateVersion.user_data = property(user_data)


def _cloudfront_invalidation_status() -> None:
    """CloudFront: moto reports a finished invalidation as "COMPLETED"; AWS says "Completed".

    botocore's invalidation_completed waiter matches AWS's spelling, so against plain moto it polls
    until it gives up (10 minutes) and fails.
    """
    from moto.cloudfront import models  # noqa: PLC0415

    original = models.Invalidation.__init__
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):  # noqa: N807
        original(self, *args, **kwargs)
        if self.status == "COMPLETED":
            self.status = "Completed"

    __init__._webstack_patched = True
    models.Invalidation.__init__ = __init__


def _instances_take_launch_template_metadata_and_volumes() -> None:
    """EC2: moto ignores a launch template's MetadataOptions, and adds its own unencrypted root
    volume next to the template's block device mappings, for instances launched from it (an Auto
    Scaling Group's among them). AWS applies both: IMDSv2 and the encrypted root volume.
    """
    from moto.ec2.models import instances  # noqa: PLC0415

    original = instances.InstanceBackend.run_instances
    if getattr(original, "_webstack_patched", False):
        return

    @functools.wraps(original)
    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        if kwargs.get("launch_template"):
            data = self._get_template_from_args(kwargs["launch_template"]).data
            if not kwargs.get("metadata_options") and data.get("MetadataOptions"):
                kwargs["metadata_options"] = data["MetadataOptions"]
            if "block_device_mappings" not in kwargs and data.get("BlockDeviceMappings"):
                kwargs["block_device_mappings"] = data["BlockDeviceMappings"]
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    run_instances._webstack_patched = True
    instances.InstanceBackend.run_instances = run_instances


def _backup_selections() -> None:
    """AWS Backup: moto 5.2.5 has no backup selections (Create/Get/List/DeleteBackupSelection are 500s).

    Real AWS keeps selections per backup plan under /backup/plans/{backupPlanId}/selections/. Get
    returns the stored BackupSelection with the lists left out filled in as [] and all four Conditions
    operators present (amazon.aws.backup_selection compares against exactly that shape); a selection
    with neither Resources nor ListOfTags is an InvalidParameterValueException; an unknown or deleted
    plan, or an unknown selection, is a ResourceNotFoundException (HTTP 400, as AWS's API reference
    gives it); DeleteBackupPlan refuses while the plan still has selections (InvalidRequestException).
    Selections live on moto's backup backend, so POST /moto-api/reset wipes them with the plans.
    """
    import uuid  # noqa: PLC0415

    from moto.backup import exceptions, models, responses  # noqa: PLC0415
    from moto.core.responses import ActionResult, EmptyResult  # noqa: PLC0415
    from moto.core.utils import utcnow  # noqa: PLC0415

    original_delete_plan = models.BackupBackend.delete_backup_plan
    if getattr(original_delete_plan, "_webstack_patched", False):
        return

    def selections(backend, plan_id):
        """The selections of a live plan on this backend, by id."""
        plan = backend.plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise exceptions.ResourceNotFoundException(f"Failed reading Backup plan with provided id {plan_id}")
        if not hasattr(backend, "webstack_backup_selections"):
            backend.webstack_backup_selections = {}
        return backend.webstack_backup_selections.setdefault(plan_id, {})

    def lookup(response):
        found = selections(response.backup_backend, response._get_param("backupPlanId"))
        selection_id = response._get_param("selectionId")
        if selection_id not in found:
            raise exceptions.ResourceNotFoundException(f"Failed reading Backup selection with id {selection_id}")
        return found[selection_id]

    def summary(record):
        keys = ("SelectionId", "BackupPlanId", "CreationDate", "CreatorRequestId")
        return {k: record[k] for k in keys if record.get(k) is not None}

    def create_backup_selection(self):
        found = selections(self.backup_backend, self._get_param("backupPlanId"))
        wanted = dict(self._get_param("BackupSelection") or {})
        if not wanted.get("Resources") and not wanted.get("ListOfTags"):
            raise exceptions.InvalidParameterValueException(
                "Invalid backup selection. Either 'ListOfTags' or 'Resources' section must be non-empty."
            )
        for key in ("Resources", "ListOfTags", "NotResources"):
            wanted[key] = wanted.get(key) or []
        conditions = wanted.get("Conditions") or {}
        wanted["Conditions"] = {
            op: conditions.get(op) or [] for op in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")
        }
        record = {
            "SelectionId": str(uuid.uuid4()),
            "BackupPlanId": self._get_param("backupPlanId"),
            "CreationDate": utcnow(),
            "CreatorRequestId": self._get_param("CreatorRequestId"),
            "BackupSelection": wanted,
        }
        found[record["SelectionId"]] = record
        return ActionResult({k: record[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    def get_backup_selection(self):
        record = lookup(self)
        return ActionResult({**summary(record), "BackupSelection": record["BackupSelection"]})

    def list_backup_selections(self):
        found = list(selections(self.backup_backend, self._get_param("backupPlanId")).values())
        start = int(self._get_param("nextToken") or 0)
        limit = int(self._get_param("maxResults") or 1000)
        page = [
            {
                **summary(r),
                "SelectionName": r["BackupSelection"]["SelectionName"],
                "IamRoleArn": r["BackupSelection"]["IamRoleArn"],
            }
            for r in found[start : start + limit]
        ]
        body = {"BackupSelectionsList": page}
        if start + limit < len(found):
            body["NextToken"] = str(start + limit)
        return ActionResult(body)

    def delete_backup_selection(self):
        record = lookup(self)
        del selections(self.backup_backend, record["BackupPlanId"])[record["SelectionId"]]
        return EmptyResult()

    @functools.wraps(original_delete_plan)
    def delete_backup_plan(self, backup_plan_id):
        if getattr(self, "webstack_backup_selections", {}).get(backup_plan_id):
            raise exceptions.InvalidRequestException(
                "Related backup plan selections must be deleted prior to backup plan deletion"
            )
        return original_delete_plan(self, backup_plan_id)

    for func in (create_backup_selection, get_backup_selection, list_backup_selections, delete_backup_selection):
        setattr(responses.BackupResponse, func.__name__, func)
    delete_backup_plan._webstack_patched = True
    models.BackupBackend.delete_backup_plan = delete_backup_plan


PATCHES = [
    _keep_cloudfront_origin_fields,
    _budgets_subscribers_and_update,
    _backup_vault_missing_is_access_denied,
    _cloudfront_response_headers_policies,
    _s3_bucket_policy_secure_transport,
    _ssm_debian_public_ami_parameters,
    _autoscaling_instance_refresh,
    _ec2_launch_interfaces_delete_on_termination,
    _ec2_launch_template_version_user_data,
    _cloudfront_invalidation_status,
    _instances_take_launch_template_metadata_and_volumes,
    _backup_selections,
]


def apply() -> None:
    for patch in PATCHES:
        patch()
