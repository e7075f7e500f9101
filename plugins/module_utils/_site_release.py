# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for website releases (s3_site_release): manifests of object versions and rollback.

A release is a JSON manifest {key: {version_id, etag}} of the bucket's current objects, stored under
`.webstack/releases/<release_id>.json` in the (versioned) bucket itself. Rolling back copies exactly
those versions over the current ones, server-side, and deletes keys the release did not have.
"""

import hashlib
import json
import re

from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import RESERVED_PREFIX
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import PlanError
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import is_excluded

RELEASE_PREFIX = RESERVED_PREFIX + "releases/"
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def manifest_key(release_id):
    return f"{RELEASE_PREFIX}{release_id}.json"


def release_ids(keys):
    """Release ids from the keys under RELEASE_PREFIX, oldest first (ids sort by creation time)."""
    ids = []
    for key in keys:
        if key.startswith(RELEASE_PREFIX) and key.endswith(".json"):
            ids.append(key[len(RELEASE_PREFIX) : -len(".json")])
    return sorted(ids)


def content_digest(objects):
    """A short digest of a site's content (keys and ETags), stable across rollbacks (version ids change)."""
    text = "\n".join("{} {}".format(k, objects[k]["etag"]) for k in sorted(objects))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def new_release_id(now, objects):
    """r<UTC timestamp>-<content digest>: sorts by time, says what it holds. `now` is a datetime in UTC."""
    return "r{}-{}".format(now.strftime("%Y%m%dT%H%M%SZ"), content_digest(objects))


def validate_release_id(release_id):
    if not RELEASE_ID.match(release_id or ""):
        raise PlanError(
            f"release_id {release_id!r} is not valid: use letters, digits, '.', '_' or '-' (up to 128, starting "
            "with a letter or digit)"
        )


def current_objects(versions, delete_markers, excludes=None):
    """{key: {version_id, etag}} of the live objects from a ListObjectVersions result."""
    live = {}
    for version in versions:
        key = version["Key"]
        if version.get("IsLatest") and not is_excluded(key, excludes):
            live[key] = {"version_id": version["VersionId"], "etag": version["ETag"]}
    for marker in delete_markers:
        if marker.get("IsLatest"):
            live.pop(marker["Key"], None)
    return live


def _same(current, wanted):
    if current is None:
        return False
    if current["version_id"] == wanted["version_id"]:
        return True
    # A server-side copy of a single-part object keeps its MD5 ETag: the same bytes.
    return "-" not in wanted["etag"] and current["etag"] == wanted["etag"]


def state_matches(current, objects):
    """True when the live objects are exactly the release's (same keys, same bytes)."""
    return set(current) == set(objects) and all(_same(current.get(k), v) for k, v in objects.items())


def build_manifest(release_id, created, bucket, objects, metadata=None):
    return {
        "format": 1,
        "release_id": release_id,
        "created": created,
        "bucket": bucket,
        "metadata": dict(metadata or {}),
        "objects": {k: {"version_id": v["version_id"], "etag": v["etag"]} for k, v in sorted(objects.items())},
    }


def parse_manifest(text, release_id):
    try:
        manifest = json.loads(text)
        objects = manifest["objects"]
        for value in objects.values():
            if not (isinstance(value["version_id"], str) and isinstance(value["etag"], str)):
                raise TypeError("version_id and etag must be strings")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise PlanError(f"the manifest of release {release_id} is not valid; choose another release") from e
    return manifest


def select_target(ids, requested, last_good=None):
    """The release to roll back to: 'previous' (the one before the newest), 'last_good', or an id."""
    if requested == "previous":
        if len(ids) < 2:
            raise PlanError(
                "there is no previous release to roll back to (releases: %s); deploy first or name a release"
                % (", ".join(ids) or "none")
            )
        return ids[-2]
    if requested == "last_good":
        if not last_good:
            raise PlanError("no last known good release is recorded; set rollback_to to a release id")
        requested = last_good
    if requested not in ids:
        raise PlanError(
            "release {} does not exist; known releases: {}".format(requested, ", ".join(ids[-10:]) or "none")
        )
    return requested


def plan_rollback(current, objects, excludes=None):
    """{"restore": [keys to copy from their release version], "delete": [live keys the release lacks]}."""
    restore = sorted(k for k, v in objects.items() if not _same(current.get(k), v))
    delete = sorted(k for k in current if k not in objects and not is_excluded(k, excludes))
    return {"restore": restore, "delete": delete}


def prune(ids, keep, protect=()):
    """Release ids to delete: all but the newest `keep`, never a protected one (the last known good)."""
    if keep < 1:
        raise PlanError("keep_releases must be at least 1")
    old = ids[:-keep] if len(ids) > keep else []
    return [i for i in old if i not in protect]
