"""Website deploy path against the emulator: playbooks/deploy_website.yml (role illustra.webstack.website).

The bucket and the CloudFront distribution come from boto3 fixtures (the frontend_s3 / cloudfront roles
are tested on their own); the test asserts the emulator's real state after each run.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import boto3
import pytest
from webstack_test import ROOT, run_playbook, tagged_resources

pytestmark = pytest.mark.integration

PLAYBOOK = "playbooks/deploy_website.yml"
INVENTORY = "inventories/staging"  # CloudFront in front of the bucket
BUCKET = "illustra-staging-frontend"
PARAMETER = "/illustra/staging/website/last_good_release"
TAGS = {"Project": "illustra", "Environment": "staging", "ManagedBy": "illustra.webstack"}
EXAMPLE_BUILD = ROOT / "examples" / "frontend" / "build"


def _bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in TAGS.items()]})


def _distribution(cloudfront):
    origin = f"{BUCKET}.s3.us-east-1.amazonaws.com"
    config = {
        "CallerReference": f"test-{time.time()}",
        "Comment": "website deploy test",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {
            "Quantity": 1,
            "Items": [{"Id": "s3", "DomainName": origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "s3",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    tags = [{"Key": k, "Value": v} for k, v in {**TAGS, "Name": "illustra-staging-frontend"}.items()]
    dist = cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tags}}
    )
    return dist["Distribution"]["Id"]


def _objects(s3):
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = obj["ETag"]
    return {k: v for k, v in out.items() if not k.startswith(".webstack/")}


def _versions(s3):
    counts = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
        for v in page.get("Versions", []):
            counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


def _sync_state(s3):
    """The sync state s3_site_sync keeps in the bucket, or None."""
    try:
        return json.loads(s3.get_object(Bucket=BUCKET, Key=".webstack/sync-state.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def _invalidations(cloudfront, dist_id):
    items = cloudfront.list_invalidations(DistributionId=dist_id)["InvalidationList"].get("Items", [])
    return [cloudfront.get_invalidation(DistributionId=dist_id, Id=i["Id"])["Invalidation"] for i in items]


def _parameter(ssm):
    try:
        return ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None


def _deploy(build: Path, check=False, **extra):
    return run_playbook(
        PLAYBOOK, INVENTORY, extra_vars={"website_build_dir": str(build), **extra}, check=check, diff=True
    )


def _result(run, name, host="localhost"):
    """The last result of a task by its name, with or without the role prefix ("role : name")."""
    for task in reversed(run.tasks):
        if task["name"].split(" : ")[-1] == name and host in task["hosts"]:
            return task["hosts"][host]
    raise KeyError(f"no task named {name!r} ran on {host}\n{run.summary()}")


def _v2(tmp_path: Path) -> tuple[Path, str, str]:
    """A second build: new main JS (new hashed name), index.html pointing at it, the old JS gone."""
    build = tmp_path / "v2"
    shutil.copytree(EXAMPLE_BUILD, build)
    old_js = next((build / "static" / "js").glob("main.*.js"))
    new_js = old_js.with_name("main.0badc0de.js")
    new_js.write_text(old_js.read_text() + "\n// v2\n")
    old_js.unlink()
    index = build / "index.html"
    index.write_text(index.read_text().replace(old_js.name, new_js.name))
    # every file gets a new mtime, as a fresh build does
    for path in build.rglob("*"):
        path.touch()
    return build, f"static/js/{old_js.name}", f"static/js/{new_js.name}"


def test_deploy_release_rollback(clean_emulator, tmp_path):
    s3 = boto3.client("s3")
    cloudfront = boto3.client("cloudfront")
    ssm = boto3.client("ssm")

    # --check on an empty account: nothing to deploy to, nothing created, no failure.
    run = _deploy(EXAMPLE_BUILD, check=True)
    assert run.rc == 0, run.summary()
    assert s3.list_buckets()["Buckets"] == []
    assert _parameter(ssm) is None

    _bucket(s3)
    dist_id = _distribution(cloudfront)

    # --check with the bucket in place: reports the uploads, uploads nothing.
    run = _deploy(EXAMPLE_BUILD, check=True)
    assert run.rc == 0, run.summary()
    assert run.changed > 0
    assert len(_result(run, "Upload the files whose content changed")["site_sync"]["uploaded"]) == 7
    assert _objects(s3) == {}
    assert _invalidations(cloudfront, dist_id) == []

    # Deploy v1.
    run = _deploy(EXAMPLE_BUILD)
    assert run.rc == 0, run.summary()
    objects = _objects(s3)
    js_key = next(k for k in objects if k.startswith("static/js/"))
    assert set(objects) == {
        "index.html",
        "favicon.ico",
        "manifest.json",
        "robots.txt",
        "asset-manifest.json",
        js_key,
        next(k for k in objects if k.startswith("static/css/")),
    }
    head = s3.head_object(Bucket=BUCKET, Key="index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["CacheControl"] == "no-cache"
    head = s3.head_object(Bucket=BUCKET, Key=js_key)
    assert head["ContentType"] == "text/javascript; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert s3.head_object(Bucket=BUCKET, Key="favicon.ico")["ContentType"] == "image/x-icon"
    release1 = _result(run, "Record the deployed content as a release")["release"]["release_id"]
    assert _parameter(ssm) == release1
    assert s3.head_object(Bucket=BUCKET, Key=f".webstack/releases/{release1}.json")
    invalidations = _invalidations(cloudfront, dist_id)
    assert len(invalidations) == 1
    assert sorted(invalidations[0]["InvalidationBatch"]["Paths"]["Items"]) == [
        "/",
        "/asset-manifest.json",
        "/favicon.ico",
        "/index.html",
        "/manifest.json",
        "/robots.txt",
        "/static/css/" + Path(next(k for k in objects if k.startswith("static/css/"))).name,
        "/" + js_key,
    ]
    v1_index = s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read()

    # The first deploy listed the bucket and left the sync state: exactly the bucket's ETags.
    assert _result(run, "Upload the files whose content changed")["site_sync"]["compared_with"] == "listing"
    assert _sync_state(s3)["objects"] == objects

    # Converge again: compared with the state, nothing uploaded, no new release, no invalidation.
    run = _deploy(EXAMPLE_BUILD)
    assert run.rc == 0, run.summary()
    assert run.changed == 0, run.summary()
    assert _result(run, "Upload the files whose content changed")["site_sync"]["compared_with"] == "state"
    assert len(_invalidations(cloudfront, dist_id)) == 1

    # Drift by hand (a file deleted in the bucket): a deploy with website_compare=listing finds and repairs it.
    s3.delete_object(Bucket=BUCKET, Key="manifest.json")
    run = _deploy(EXAMPLE_BUILD, website_compare="listing")
    assert run.rc == 0, run.summary()
    sync = _result(run, "Upload the files whose content changed")["site_sync"]
    assert (sync["compared_with"], sync["uploaded"]) == ("listing", ["manifest.json"])
    assert _objects(s3) == objects and _sync_state(s3)["objects"] == objects
    assert len(_invalidations(cloudfront, dist_id)) == 2

    # A fresh build (every mtime new) with one changed JS file: only it and index.html go up.
    build2, old_js, new_js = _v2(tmp_path)
    assert old_js == js_key
    run = _deploy(build2)
    assert run.rc == 0, run.summary()
    sync = _result(run, "Upload the files whose content changed")["site_sync"]
    assert sync["uploaded"] == [new_js, "index.html"]  # assets before HTML
    assert sync["deleted"] == [old_js]
    assert sync["compared_with"] == "state" and _sync_state(s3)["objects"] == _objects(s3)
    versions = _versions(s3)
    assert versions["favicon.ico"] == 1 and versions["robots.txt"] == 1  # untouched
    assert versions["index.html"] == 2
    assert old_js not in _objects(s3) and new_js in _objects(s3)
    release2 = _result(run, "Record the deployed content as a release")["release"]["release_id"]
    assert release2 != release1 and _parameter(ssm) == release2
    invalidations = _invalidations(cloudfront, dist_id)
    assert len(invalidations) == 3
    latest = [i for i in invalidations if "/" + new_js in i["InvalidationBatch"]["Paths"]["Items"]]
    assert len(latest) == 1
    assert sorted(latest[0]["InvalidationBatch"]["Paths"]["Items"]) == sorted(
        ["/", "/index.html", "/" + old_js, "/" + new_js]
    )

    # --check of a third build changes nothing.
    build3 = tmp_path / "v3"
    shutil.copytree(build2, build3)
    (build3 / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    before = _objects(s3)
    run = _deploy(build3, check=True)
    assert run.rc == 0, run.summary()
    assert _result(run, "Upload the files whose content changed")["site_sync"]["uploaded"] == ["robots.txt"]
    assert _objects(s3) == before
    assert len(_invalidations(cloudfront, dist_id)) == 3

    # The max_delete guard: a near-empty build would delete 6 keys; refused, nothing changes.
    build4 = tmp_path / "v4"
    build4.mkdir()
    (build4 / "index.html").write_text("<html>oops</html>")
    run = _deploy(build4, website_max_delete=2)
    assert run.rc != 0
    assert any("max_delete" in m for m in run.failure_messages()), run.summary()
    assert _objects(s3) == before

    # Roll back to the previous release: v1's bytes, old JS back, new JS gone, CloudFront told.
    run = run_playbook(PLAYBOOK, INVENTORY, extra_vars={"website_action": "rollback"})
    assert run.rc == 0, run.summary()
    restored = _result(run, "Restore the website to the chosen release")["release"]
    assert restored["release_id"] == release1
    assert s3.get_object(Bucket=BUCKET, Key="index.html")["Body"].read() == v1_index
    objects = _objects(s3)
    assert old_js in objects and new_js not in objects
    assert s3.head_object(Bucket=BUCKET, Key="index.html")["CacheControl"] == "no-cache"
    assert _parameter(ssm) == release1
    invalidations = _invalidations(cloudfront, dist_id)
    assert len(invalidations) == 4
    assert _sync_state(s3) is None  # the rollback rewrote objects: the next deploy lists the bucket

    # Rolling back again changes nothing.
    run = run_playbook(PLAYBOOK, INVENTORY, extra_vars={"website_action": "rollback"})
    assert run.rc == 0, run.summary()
    assert run.changed == 0, run.summary()
    assert len(_invalidations(cloudfront, dist_id)) == 4

    # Deploying v1 again after the rollback: the bucket is listed, already holds v1, nothing to upload.
    run = _deploy(EXAMPLE_BUILD)
    assert run.rc == 0, run.summary()
    sync = _result(run, "Upload the files whose content changed")["site_sync"]
    assert (sync["compared_with"], sync["uploaded"], sync["deleted"]) == ("listing", [], [])
    assert _sync_state(s3)["objects"] == _objects(s3)

    # Tear down: release records go; then the fixtures; nothing tagged is left.
    run = run_playbook(PLAYBOOK, INVENTORY, extra_vars={"website_state": "absent"})
    assert run.rc == 0, run.summary()
    assert _parameter(ssm) is None
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=".webstack/").get("Contents", [])
    assert listing == []
    _delete_fixtures(s3, cloudfront, dist_id)
    assert tagged_resources("illustra", "staging") == []


def _delete_fixtures(s3, cloudfront, dist_id, bucket=BUCKET):
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        items += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
        if items:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": items})
    s3.delete_bucket(Bucket=bucket)
    if cloudfront is None:
        return
    dist = cloudfront.get_distribution_config(Id=dist_id)
    config = dist["DistributionConfig"]
    config["Enabled"] = False
    etag = cloudfront.update_distribution(Id=dist_id, IfMatch=dist["ETag"], DistributionConfig=config)["ETag"]
    cloudfront.delete_distribution(Id=dist_id, IfMatch=etag)


def test_dev_s3_website_deploy_has_no_invalidation(aws_endpoint):
    """dev serves the bucket directly: deploy works without any CloudFront distribution.

    Uses its own bucket and cleans up after itself (no emulator reset: a reset is slow on a loaded machine).
    """
    s3 = boto3.client("s3")
    bucket = "illustra-dev-frontend"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    try:
        run = run_playbook(PLAYBOOK, "inventories/dev", extra_vars={"website_build_dir": str(EXAMPLE_BUILD)})
        assert run.rc == 0, run.summary()
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
        assert {"index.html", "favicon.ico", "manifest.json"} <= keys
        output = _result(run, "Publish the deploy's result")["ansible_facts"]["website__output"]
        assert output["invalidation_id"] is None and output["release_id"]
    finally:
        run_playbook(PLAYBOOK, "inventories/dev", extra_vars={"website_state": "absent"})
        _delete_fixtures(s3, None, None, bucket=bucket)
    assert tagged_resources("illustra", "dev") == []
