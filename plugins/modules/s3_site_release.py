#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: s3_site_release
short_description: Record website releases as manifests of S3 object versions, and roll back to one
version_added: 0.1.0
description:
  - A release is a manifest of the exact object versions a versioned website bucket serves, stored in
    the bucket under the reserved prefix C(.webstack/releases/) (which M(illustra.webstack.s3_site_sync)
    never touches).
  - O(state=present) records the bucket's live content as a new release, unless it is already the
    newest release's content (then nothing changes), and keeps the newest O(keep_releases).
  - O(state=rollback) restores the content of a release server-side (C(CopyObject) with C(VersionId),
    headers included) and deletes keys the release did not have. Nothing is rebuilt or uploaded, so it
    takes seconds; it works for S3 website buckets and for buckets behind CloudFront alike. It also
    removes the sync state of M(illustra.webstack.s3_site_sync), whose next run then lists the bucket.
  - O(state=absent) deletes the release manifests, the sync state and the O(record_parameter).
  - With O(record_parameter), the release now served is recorded in SSM Parameter Store as the last
    known good release (O(state=present) and O(state=rollback)).
  - Object versions must outlive the releases that name them; keep the bucket's noncurrent-version
    expiry longer than the time O(keep_releases) deploys span.
author:
  - illustra.webstack developers (@illustra)
options:
  bucket:
    description: The versioned website bucket.
    type: str
    required: true
  state:
    description: Record a release, roll back to one, or remove the release records.
    type: str
    choices: [present, rollback, absent]
    default: present
  release_id:
    description:
      - Id of the new release (O(state=present)). Defaults to C(r<UTC timestamp>-<content digest>).
    type: str
  rollback_to:
    description:
      - The release to restore (O(state=rollback)) - V(previous) (the release before the newest),
        V(last_good) (the one recorded in O(record_parameter)), or a release id.
    type: str
    default: previous
  keep_releases:
    description: How many release manifests to keep (the last known good one is never pruned).
    type: int
    default: 10
  exclude:
    description: Glob patterns of keys that are not part of releases (never restored or deleted).
    type: list
    elements: str
    default: []
  metadata:
    description: Free-form strings stored in the manifest (for example the git commit of the build).
    type: dict
    default: {}
  record_parameter:
    description: SSM parameter name that records the last known good release id.
    type: str
  tags:
    description: Tags of the SSM parameter when it is created.
    type: dict
    default: {}
  workers:
    description: Parallel copy threads for a rollback.
    type: int
    default: 16
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports the release that would be recorded or the keys a rollback would restore and delete.
  diff_mode:
    support: full
    description: The release served before and after.
"""

EXAMPLES = r"""
- name: Record the deployed content as a release
  illustra.webstack.s3_site_release:
    bucket: illustra-prod-frontend
    metadata:
      commit: "{{ lookup('ansible.builtin.env', 'GIT_COMMIT') }}"
    record_parameter: /illustra/prod/website/last_good_release

- name: Roll the website back to the previous release
  illustra.webstack.s3_site_release:
    bucket: illustra-prod-frontend
    state: rollback
    rollback_to: previous
    record_parameter: /illustra/prod/website/last_good_release
  register: rollback
"""

RETURN = r"""
release:
  description: The release state after the task (or what it would be in check mode).
  returned: always
  type: dict
  contains:
    release_id:
      description: The release the bucket serves now (null after O(state=absent)).
      type: str
      sample: r20261122T031500Z-3f2a1b9c0d
    previous_release_id:
      description: The newest release before this task ran (null when none).
      type: str
      sample: r20261121T101500Z-0a1b2c3d4e
    manifest_key:
      description: Key of the release manifest in the bucket.
      type: str
      sample: .webstack/releases/r20261122T031500Z-3f2a1b9c0d.json
    created:
      description: Whether a new release was recorded.
      type: bool
      sample: true
    objects:
      description: Number of objects in the release.
      type: int
      sample: 42
    releases:
      description: Release ids kept, oldest first.
      type: list
      elements: str
      sample: ["r20261121T101500Z-0a1b2c3d4e", "r20261122T031500Z-3f2a1b9c0d"]
    pruned:
      description: Release manifests deleted (older than O(keep_releases)).
      type: list
      elements: str
      sample: []
    restored:
      description: Keys a rollback copied back from their release version.
      type: list
      elements: str
      sample: ["index.html", "static/js/main.0a1b2c3d.js"]
    deleted:
      description: Keys a rollback deleted because the release did not have them.
      type: list
      elements: str
      sample: ["static/js/main.3f2a1b9c.js"]
    changed_keys:
      description: Restored and deleted keys together (the input of an invalidation).
      type: list
      elements: str
      sample: ["index.html"]
    last_good_release_id:
      description: The id in O(record_parameter) after the task.
      type: str
      sample: r20261122T031500Z-3f2a1b9c0d
"""

import datetime
import json
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
except ImportError:
    botocore = None  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.illustra.webstack.plugins.module_utils._site_release import RELEASE_PREFIX
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import build_manifest
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import current_objects
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import manifest_key
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import new_release_id
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import parse_manifest
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import plan_rollback
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import prune
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import release_ids
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import select_target
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import state_matches
from ansible_collections.illustra.webstack.plugins.module_utils._site_release import validate_release_id
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import STATE_KEY
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import PlanError

# S3 throttles with SlowDown, SSM with ThrottlingException; neither is in AWSRetry's default list.
RETRY = AWSRetry.jittered_backoff(
    retries=8,
    delay=1,
    max_delay=20,
    catch_extra_error_codes=["SlowDown", "RequestTimeout", "ThrottlingException"],
)


class BucketErrorHandler(AWSErrorHandler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchBucket")


class ParameterErrorHandler(AWSErrorHandler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ParameterNotFound")


# --- API wrappers -----------------------------------------------------------------------------


@BucketErrorHandler.list_error_handler("read the bucket's versioning", default_value=None)
@RETRY
def get_versioning(client, bucket):
    return client.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")


@BucketErrorHandler.common_error_handler("list the bucket's object versions")
@RETRY
def list_versions(client, bucket):
    """(versions, delete_markers) of the whole bucket, one paginated ListObjectVersions."""
    versions, markers = [], []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions.extend(page.get("Versions", []))
        markers.extend(page.get("DeleteMarkers", []))
    return versions, markers


@BucketErrorHandler.common_error_handler("read a release manifest")
@RETRY
def get_text(client, bucket, key, version_id=None):
    kwargs = {"VersionId": version_id} if version_id else {}
    return client.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read().decode("utf-8")


@BucketErrorHandler.common_error_handler("write a release manifest")
@RETRY
def put_json(client, bucket, key, document):
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=1, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
        CacheControl="no-store",
    )


@BucketErrorHandler.common_error_handler("restore an object version")
@RETRY
def restore_version(client, bucket, key, version_id):
    client.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id},
        MetadataDirective="COPY",
    )


@BucketErrorHandler.common_error_handler("delete objects")
@RETRY
def delete_keys(client, bucket, keys):
    for start in range(0, len(keys), 1000):
        response = client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True}
        )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": first.get("Code", "DeleteFailed"), "Message": first.get("Message", "")}},
                "DeleteObjects",
            )


@ParameterErrorHandler.list_error_handler("read the last known good release parameter", default_value=None)
@RETRY
def get_parameter(client, name):
    return client.get_parameter(Name=name)["Parameter"]["Value"]


@ParameterErrorHandler.common_error_handler("record the last known good release parameter")
@RETRY
def put_parameter(client, name, value, tags, exists):
    kwargs = dict(
        Name=name, Value=value, Type="String", Description="Last known good website release (illustra.webstack)"
    )
    if exists:
        client.put_parameter(Overwrite=True, **kwargs)
    else:
        client.put_parameter(Tags=ansible_dict_to_boto3_tag_list(tags), **kwargs)


@ParameterErrorHandler.deletion_error_handler("delete the last known good release parameter")
@RETRY
def delete_parameter(client, name):
    client.delete_parameter(Name=name)
    return True


# --- main -------------------------------------------------------------------------------------


class Site:
    """The bucket's live objects and releases, read once."""

    def __init__(self, module, s3):
        self.module = module
        self.s3 = s3
        bucket = module.params["bucket"]
        versioning = get_versioning(s3, bucket)
        self.exists = versioning is not None
        self.current, self.ids, self.manifest_versions = {}, [], {}
        self.has_sync_state = False
        if not self.exists:
            return
        if versioning != "Enabled" and module.params["state"] != "absent":
            module.fail_json(
                msg=f"bucket {bucket} must have versioning enabled for releases (it is {versioning}); "
                "the frontend_s3 role "
                "enables it"
            )
        versions, markers = list_versions(s3, bucket)
        self.current = current_objects(versions, markers, module.params["exclude"])
        deleted = {m["Key"] for m in markers if m.get("IsLatest")}
        self.manifest_versions = {
            v["Key"]: v["VersionId"]
            for v in versions
            if v["Key"].startswith(RELEASE_PREFIX) and v.get("IsLatest") and v["Key"] not in deleted
        }
        self.ids = release_ids(self.manifest_versions)
        self.has_sync_state = STATE_KEY not in deleted and any(
            v["Key"] == STATE_KEY and v.get("IsLatest") for v in versions
        )

    def manifest(self, release_id):
        key = manifest_key(release_id)
        text = get_text(self.s3, self.module.params["bucket"], key, self.manifest_versions.get(key))
        return parse_manifest(text, release_id)


def record(module, ssm, release_id, result):
    """Record `release_id` as the last known good release; returns whether that changed anything."""
    name = module.params["record_parameter"]
    if not name:
        return False
    before = get_parameter(ssm, name)
    result["last_good_release_id"] = release_id
    if before == release_id:
        return False
    if not module.check_mode:
        put_parameter(ssm, name, release_id, module.params["tags"], before is not None)
    return True


def ensure_release(module, site, ssm, result):
    p = module.params
    newest = site.ids[-1] if site.ids else None
    if newest and state_matches(site.current, site.manifest(newest)["objects"]):
        result.update(release_id=newest, manifest_key=manifest_key(newest), objects=len(site.current))
        changed = False
    else:
        release_id = p["release_id"] or new_release_id(datetime.datetime.now(datetime.UTC), site.current)
        validate_release_id(release_id)
        if release_id in site.ids:
            raise PlanError(f"release {release_id} already exists with other content; choose a new release_id")
        created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = build_manifest(release_id, created, p["bucket"], site.current, p["metadata"])
        if not module.check_mode:
            put_json(site.s3, p["bucket"], manifest_key(release_id), manifest)
        site.ids = sorted([*site.ids, release_id])
        result.update(release_id=release_id, manifest_key=manifest_key(release_id), objects=len(site.current))
        result["created"] = changed = True
    protect = [get_parameter(ssm, p["record_parameter"])] if p["record_parameter"] else []
    pruned = prune(site.ids, p["keep_releases"], [*protect, result["release_id"]])
    if pruned and not module.check_mode:
        delete_keys(site.s3, p["bucket"], [manifest_key(i) for i in pruned])
    result["pruned"] = pruned
    result["releases"] = [i for i in site.ids if i not in pruned]
    changed |= bool(pruned)
    changed |= record(module, ssm, result["release_id"], result)
    return changed


def rollback(module, site, ssm, result):
    p = module.params
    last_good = get_parameter(ssm, p["record_parameter"]) if p["record_parameter"] else None
    target = select_target(site.ids, p["rollback_to"], last_good)
    objects = site.manifest(target)["objects"]
    plan = plan_rollback(site.current, objects, p["exclude"])
    if not module.check_mode and (plan["restore"] or plan["delete"]):
        # The sync state (s3_site_sync) no longer describes the bucket: the next sync lists it instead.
        delete_keys(site.s3, p["bucket"], [STATE_KEY])
        with ThreadPoolExecutor(max_workers=max(1, p["workers"])) as pool:
            list(
                pool.map(lambda k: restore_version(site.s3, p["bucket"], k, objects[k]["version_id"]), plan["restore"])
            )
        if plan["delete"]:
            delete_keys(site.s3, p["bucket"], plan["delete"])
    result.update(
        release_id=target,
        manifest_key=manifest_key(target),
        objects=len(objects),
        restored=plan["restore"],
        deleted=plan["delete"],
        changed_keys=sorted(set(plan["restore"]) | set(plan["delete"])),
        releases=site.ids,
    )
    changed = bool(plan["restore"] or plan["delete"])
    changed |= record(module, ssm, target, result)
    return changed


def remove(module, site, ssm, result):
    p = module.params
    changed = False
    if site.ids or site.has_sync_state:
        if not module.check_mode:
            delete_keys(site.s3, p["bucket"], [manifest_key(i) for i in site.ids] + [STATE_KEY] * site.has_sync_state)
        result["pruned"] = site.ids
        changed = True
    if p["record_parameter"] and get_parameter(ssm, p["record_parameter"]) is not None:
        if not module.check_mode:
            delete_parameter(ssm, p["record_parameter"])
        changed = True
    result.update(release_id=None, releases=[])
    return changed


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "rollback", "absent"], default="present"),
        release_id=dict(type="str"),
        rollback_to=dict(type="str", default="previous"),
        keep_releases=dict(type="int", default=10),
        exclude=dict(type="list", elements="str", default=[]),
        metadata=dict(type="dict", default={}),
        record_parameter=dict(type="str"),
        tags=dict(type="dict", default={}),
        workers=dict(type="int", default=16),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    s3 = module.client("s3", config=botocore.config.Config(max_pool_connections=max(10, module.params["workers"] + 2)))
    ssm = module.client("ssm")
    result = dict(
        release_id=None,
        previous_release_id=None,
        manifest_key=None,
        created=False,
        objects=0,
        releases=[],
        pruned=[],
        restored=[],
        deleted=[],
        changed_keys=[],
        last_good_release_id=None,
    )
    try:
        site = Site(module, s3)
        result["previous_release_id"] = site.ids[-1] if site.ids else None
        if module.params["state"] == "absent":
            changed = remove(module, site, ssm, result)
        elif not site.exists:
            if not module.check_mode:
                module.fail_json(
                    msg="bucket {} does not exist; create it first (role illustra.webstack.frontend_s3)".format(
                        module.params["bucket"]
                    )
                )
            module.warn(
                "bucket {} does not exist yet; a release would be recorded after the first deploy".format(
                    module.params["bucket"]
                )
            )
            changed = True
        elif module.params["state"] == "rollback":
            changed = rollback(module, site, ssm, result)
        else:
            changed = ensure_release(module, site, ssm, result)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    except PlanError as e:
        module.fail_json(msg=str(e))

    output = dict(changed=changed, release=result)
    if module._diff:
        output["diff"] = dict(
            before={"release_id": result["previous_release_id"]}, after={"release_id": result["release_id"]}
        )
    module.exit_json(**output)


if __name__ == "__main__":
    main()
