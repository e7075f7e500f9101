#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: s3_site_sync
short_description: Sync a static website build to S3 by content, fast and safely
version_added: 0.1.0
description:
  - Uploads a website build directory (for example the output of C(npm run build)) to an S3 bucket.
  - Compares content, not timestamps. The MD5 of every local file (for multipart objects, the multipart
    ETag computed with the module's part size) is compared with the ETags the bucket holds, so a fresh
    build that rewrote every mtime uploads only the files that differ.
  - The bucket's ETags come from the sync state, C(.webstack/sync-state.json), which this module keeps
    in the bucket, or from a C(ListObjectsV2) listing of every object when there is no state to trust
    (first sync, an interrupted sync, a rollback, other O(exclude) patterns) or O(compare=listing).
    One GET instead of a listing makes a sync of a large site that changed little much faster.
  - The state is removed before the first change and rewritten after the last, so a sync that fails or
    is killed midway leaves none. It does not see objects changed in the bucket by other means; run
    with O(compare=listing) to repair those (it also rewrites the state).
  - Uploads in parallel threads; files at or above the multipart threshold go through boto3's transfer
    manager (multipart). Assets are uploaded before HTML, stale keys are deleted last.
  - Sets C(Content-Type) for every common web type and C(Cache-Control) by glob rules, with safe
    defaults (HTML C(no-cache); hashed assets C(public, max-age=31536000, immutable)).
  - Never deletes keys matched by O(exclude) or under the reserved prefix C(.webstack/) (release
    manifests), and refuses to delete more than O(max_delete) keys unless O(force_delete=true).
  - Metadata changes alone (a new cache rule for an unchanged file) are applied with O(force=true).
author:
  - illustra.webstack developers (@illustra)
options:
  bucket:
    description: Name of the S3 bucket.
    type: str
    required: true
  src:
    description: The local build directory to upload.
    type: path
    required: true
  delete:
    description: Delete keys in the bucket that are not in O(src) (after all uploads).
    type: bool
    default: true
  max_delete:
    description: The most keys one run may delete; more fails the task before anything changes.
    type: int
    default: 100
  force_delete:
    description: Delete stale keys even when there are more than O(max_delete).
    type: bool
    default: false
  force:
    description: Upload every file even when its content is unchanged (to apply new headers).
    type: bool
    default: false
  exclude:
    description:
      - Glob patterns of keys that are neither uploaded nor deleted.
      - Keys under C(.webstack/) are always excluded.
    type: list
    elements: str
    default: []
  cache_rules:
    description:
      - Cache-Control rules, first match wins, checked before the built-in ones.
      - Built-in rules, in order, C(*.html), C(service-worker.js), C(sw.js) are C(no-cache);
        C(static/*) and C(assets/*) are C(public, max-age=31536000, immutable).
    type: list
    elements: dict
    default: []
    suboptions:
      pattern:
        description: A glob matched against the key and against its file name.
        type: str
        required: true
      cache_control:
        description: The Cache-Control header of matching keys.
        type: str
        required: true
  hashed_immutable:
    description: Files whose name carries a content hash (C(main.3f2a1b9c.js)) get the immutable policy.
    type: bool
    default: true
  default_cache_control:
    description: Cache-Control of keys that match no rule.
    type: str
    default: public, max-age=300, must-revalidate
  precompressed:
    description:
      - Serve pre-compressed siblings. With V(br), C(app.js.br) is uploaded under the key C(app.js)
        with C(Content-Encoding=br) (and V(gzip) likewise with C(.gz)); the siblings are not uploaded.
      - Every modern browser accepts Brotli over HTTPS; keep V(none) if clients without it matter.
    type: str
    choices: [none, br, gzip]
    default: none
  workers:
    description: Parallel upload threads.
    type: int
    default: 16
  multipart_chunk_size_mb:
    description: Files of at least this size (MiB) are uploaded in parts of this size.
    type: int
    default: 8
  compare:
    description:
      - Where the bucket's current ETags come from. V(state) uses the sync state when it can be trusted
        and lists the bucket otherwise; V(listing) always lists every object.
      - Use V(listing) when objects may have been changed in the bucket by other means (by hand, another tool).
    type: str
    choices: [state, listing]
    default: state
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be uploaded and deleted; changes nothing. A missing bucket is reported as empty.
  diff_mode:
    support: full
    description: The ETags of the changed keys before and after.
"""

EXAMPLES = r"""
- name: Upload the React build
  illustra.webstack.s3_site_sync:
    bucket: illustra-prod-frontend
    src: "{{ playbook_dir }}/../frontend/build"
    exclude: ["downloads/*"]
    cache_rules:
      - pattern: "manifest.json"
        cache_control: "public, max-age=60"
  register: site_sync

- name: Invalidate only what changed
  illustra.webstack.cloudfront_invalidate:
    distribution_id: E123EXAMPLE
    keys: "{{ site_sync.site_sync.changed_keys }}"
"""

RETURN = r"""
site_sync:
  description: What the sync did (or would do in check mode).
  returned: always
  type: dict
  contains:
    bucket:
      description: The bucket.
      type: str
      sample: illustra-prod-frontend
    files:
      description: Number of files in the build (after excludes).
      type: int
      sample: 42
    uploaded:
      description: Keys uploaded, in upload order (assets before HTML).
      type: list
      elements: str
      sample: ["static/js/main.3f2a1b9c.js", "index.html"]
    created:
      description: Uploaded keys that were not in the bucket.
      type: list
      elements: str
      sample: ["static/js/main.3f2a1b9c.js"]
    updated:
      description: Uploaded keys whose content differed.
      type: list
      elements: str
      sample: ["index.html"]
    deleted:
      description: Stale keys deleted.
      type: list
      elements: str
      sample: ["static/js/main.0a1b2c3d.js"]
    changed_keys:
      description: Uploaded and deleted keys together (the input of an invalidation).
      type: list
      elements: str
      sample: ["index.html", "static/js/main.0a1b2c3d.js", "static/js/main.3f2a1b9c.js"]
    unchanged:
      description: Number of files whose content was already in the bucket.
      type: int
      sample: 40
    uploaded_bytes:
      description: Bytes uploaded.
      type: int
      sample: 120345
    compared_with:
      description: Where the bucket's ETags came from, V(state) (the sync state) or V(listing).
      type: str
      sample: state
"""

import base64
import datetime
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
    from botocore.utils import parse_timestamp
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import STATE_KEY
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import PlanError
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import md5_etag
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import object_headers
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import parse_state
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import plan_sync
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import scan_tree
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import state_after
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import state_document

S3_RETRY = AWSRetry.jittered_backoff(
    retries=8, delay=1, max_delay=20, catch_extra_error_codes=["SlowDown", "RequestTimeout", "InternalError"]
)


class S3SiteErrorHandler(AWSErrorHandler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchBucket")


class SyncStateErrorHandler(AWSErrorHandler):
    # No state to trust: none written yet, or (on S3 without s3:ListBucket) a 403 for a missing key.
    # Either way the sync lists the bucket, which surfaces a real permission problem.
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NoSuchKey", "NoSuchBucket", "AccessDenied"])


# --- API wrappers -----------------------------------------------------------------------------


@S3SiteErrorHandler.list_error_handler("list the bucket's objects", default_value=None)
@S3_RETRY
def list_etags(client, bucket):
    """{key: etag} of every object (one paginated ListObjectsV2); None when the bucket does not exist."""
    etags = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            etags[obj["Key"]] = obj["ETag"]
    return etags


@SyncStateErrorHandler.list_error_handler("read the sync state", default_value=None)
@S3_RETRY
def get_state(client, bucket):
    """The sync state object's body, or None when there is none."""
    return client.get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()


@S3SiteErrorHandler.common_error_handler("write the sync state")
@S3_RETRY
def put_state(client, bucket, body):
    client.put_object(Bucket=bucket, Key=STATE_KEY, Body=body, ContentType="application/json", CacheControl="no-store")


@S3SiteErrorHandler.common_error_handler("remove the sync state")
@S3_RETRY
def delete_state(client, bucket):
    client.delete_object(Bucket=bucket, Key=STATE_KEY)


def current_objects(client, bucket, excludes, compare):
    """(the bucket's {key: etag}, or None when it does not exist; "state" or "listing"; the stored state's body).

    With compare=state, a sync state that can be trusted costs one GET instead of a listing of every object.
    """
    body = get_state(client, bucket)
    if compare == "state" and body is not None:
        objects = parse_state(body, excludes)
        if objects is not None:
            return objects, "state", body
    return list_etags(client, bucket), "listing", body


@S3SiteErrorHandler.common_error_handler("upload an object")
@S3_RETRY
def put_object(client, bucket, key, body, headers):
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # nosec - integrity check S3 requires
    return client.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=md5, **headers)


@S3SiteErrorHandler.common_error_handler("upload a multipart object")
@S3_RETRY
def upload_multipart(client, bucket, key, path, headers, *, chunk_size):
    from boto3.s3.transfer import TransferConfig  # noqa: PLC0415 (s3transfer costs 0.15 s to import; most builds never need it)

    config = TransferConfig(multipart_threshold=chunk_size, multipart_chunksize=chunk_size, use_threads=False)
    client.upload_file(path, bucket, key, ExtraArgs=headers, Config=config)


@S3SiteErrorHandler.common_error_handler("delete objects")
@S3_RETRY
def delete_objects(client, bucket, keys):
    """Delete keys in batches of 1000; raises on any per-key error."""
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": first.get("Code", "DeleteFailed"), "Message": first.get("Message", "")}},
                "DeleteObjects",
            )


# --- local state ------------------------------------------------------------------------------


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def local_etags(sources, chunk_size, pool, batches):
    """{key: (etag, size)} of the build, hashed in the thread pool (hashlib releases the GIL).

    A few batches rather than a task per file: a build is mostly small files, where scheduling
    10,000 futures costs more than hashing them.
    """

    def batch(items):
        result = []
        for key, path in items:
            data = _read(path)
            result.append((key, (md5_etag(data, chunk_size, chunk_size), len(data))))
        return result

    items = sorted(sources.items())
    size = max(1, -(-len(items) // max(1, batches)))
    etags = {}
    for part in pool.map(batch, [items[i : i + size] for i in range(0, len(items), size)]):
        etags.update(part)
    return etags


def _parse_timestamp(text):
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return parse_timestamp(text)


def use_fast_timestamps(client):
    """Parse this client's ISO 8601 timestamps with datetime.fromisoformat, else botocore's parser.

    botocore parses every timestamp with dateutil (about 80 microseconds each), which is most of the
    client's time in a 10,000-key listing, for LastModified values this module never reads. The
    parser factory belongs to the client's own session: module.client() makes a session per client.
    """
    factory = getattr(getattr(client, "_endpoint", None), "_response_parser_factory", None)
    if factory is not None:
        factory.set_parser_defaults(timestamp_parser=_parse_timestamp)


# --- main -------------------------------------------------------------------------------------


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        src=dict(type="path", required=True),
        delete=dict(type="bool", default=True),
        max_delete=dict(type="int", default=100),
        force_delete=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        exclude=dict(type="list", elements="str", default=[]),
        cache_rules=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(pattern=dict(type="str", required=True), cache_control=dict(type="str", required=True)),
        ),
        hashed_immutable=dict(type="bool", default=True),
        default_cache_control=dict(type="str", default="public, max-age=300, must-revalidate"),
        precompressed=dict(type="str", choices=["none", "br", "gzip"], default="none"),
        workers=dict(type="int", default=16),
        multipart_chunk_size_mb=dict(type="int", default=8),
        compare=dict(type="str", choices=["state", "listing"], default="state"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if not os.path.isdir(p["src"]):
        module.fail_json(msg="src={} is not a directory; point it at the website build output".format(p["src"]))
    if p["workers"] < 1 or p["multipart_chunk_size_mb"] < 5 or p["max_delete"] < 0:
        module.fail_json(msg="workers must be >= 1, multipart_chunk_size_mb >= 5 (S3's minimum part), max_delete >= 0")
    chunk_size = p["multipart_chunk_size_mb"] * 1024 * 1024
    precompressed = None if p["precompressed"] == "none" else p["precompressed"]

    sources, encodings = scan_tree(p["src"], p["exclude"], precompressed)
    client = module.client("s3", config=botocore.config.Config(max_pool_connections=max(10, p["workers"] + 2)))
    use_fast_timestamps(client)

    with ThreadPoolExecutor(max_workers=p["workers"]) as pool:
        reading = pool.submit(current_objects, client, p["bucket"], p["exclude"], p["compare"])
        local = local_etags(sources, chunk_size, pool, p["workers"])  # hashes while the bucket is read
        try:
            remote, compared_with, stored_state = reading.result()
        except AnsibleAWSError as e:
            module.fail_json_aws_error(e)
        if remote is None:
            if not module.check_mode:
                module.fail_json(
                    msg="bucket {} does not exist; create it first (illustra.webstack.s3_frontend_bucket) "
                    "or set bucket to the right one".format(p["bucket"])
                )
            module.warn("bucket {} does not exist yet; reporting every file as a new upload".format(p["bucket"]))
            remote = {}
        local_etag = {k: v[0] for k, v in local.items()}
        try:
            plan = plan_sync(
                local_etag,
                remote,
                excludes=p["exclude"],
                delete=p["delete"],
                max_delete=p["max_delete"],
                force_delete=p["force_delete"],
                force_upload=p["force"],
            )
        except PlanError as e:
            module.fail_json(msg=str(e))

        uploaded_bytes = sum(local[k][1] for k in plan["upload"])
        if not module.check_mode:
            build = dict(sources=sources, encodings=encodings, local=local, chunk_size=chunk_size)
            state = state_document(state_after(remote, plan, local_etag, p["exclude"]), p["exclude"])
            rewrite = plan["upload"] or plan["delete"] or state != stored_state
            _apply(module, client, pool, plan, build, state if rewrite else None)

    changed_keys = sorted(set(plan["upload"]) | set(plan["delete"]))
    result = dict(
        changed=bool(changed_keys),
        site_sync=dict(
            bucket=p["bucket"],
            files=len(local),
            uploaded=plan["upload"],
            created=plan["create"],
            updated=plan["update"],
            deleted=plan["delete"],
            changed_keys=changed_keys,
            unchanged=plan["unchanged"],
            uploaded_bytes=uploaded_bytes,
            compared_with=compared_with,
        ),
    )
    if module._diff:
        result["diff"] = dict(
            before={k: remote[k] for k in changed_keys if k in remote},
            after={k: local[k][0] for k in plan["upload"]},
        )
    module.exit_json(**result)


def _apply(module, client, pool, plan, build, state):
    """Upload assets, then HTML, then delete stale keys. `build` holds sources, encodings, local, chunk_size.

    The sync state is removed before the first change and written after the last, so a run that
    fails or is killed midway leaves no state, and the next run lists the bucket. `state` is the new
    state's body, None when the stored one is already right.
    """
    sources, encodings, local, chunk_size = build["sources"], build["encodings"], build["local"], build["chunk_size"]
    bucket = module.params["bucket"]

    def upload(key):
        headers = object_headers(
            key,
            encodings.get(key),
            module.params["cache_rules"],
            module.params["hashed_immutable"],
            module.params["default_cache_control"],
        )
        if local[key][1] >= chunk_size:
            upload_multipart(client, bucket, key, sources[key], headers, chunk_size=chunk_size)
        else:
            put_object(client, bucket, key, _read(sources[key]), headers)

    assets = [k for k in plan["upload"] if not k.lower().endswith((".html", ".htm"))]
    pages = [k for k in plan["upload"] if k.lower().endswith((".html", ".htm"))]
    try:
        if plan["upload"] or plan["delete"]:
            delete_state(client, bucket)
        for batch in (assets, pages):  # every asset is in place before any HTML that references it
            list(pool.map(upload, batch))
        if plan["delete"]:
            delete_objects(client, bucket, plan["delete"])
        if state is not None:
            put_state(client, bucket, state)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
