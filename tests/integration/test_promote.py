"""promote.yml: what passed validation in dev moves on to staging, then to prod, as the same bytes.

dev is converged with the example website build and backend release 3.1.0; staging and prod get their
infrastructure only. Promoting dev → staging, then staging → prod, must give each target the source's
last good website release (the exact object versions, byte for byte) and its backend artifact (the same
object, the launch template pinned to the same release id), each recorded as the target's last good
release. A promotion backwards is refused.

No data plane here: the emulator models the targets' health (tools/emulator_patches.py), so the refresh
runs with short health checks and warm-up, and the HTTP gates are off (tests/e2e covers them).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import boto3
import webstack_test as wt

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "examples" / "frontend" / "build"
FAST = {
    "validate_http_gates": False,
    "asg_instance_warmup": 0,
    "alb_health_check_interval": 5,
    "alb_health_check_timeout": 2,
    "asg_refresh_checkpoint_delay": 5,
    "backend_release_validate": False,
    "backend_release_backup_first": False,
    "backend_release_build_dir": "/tmp/webstack-test-releases",
    "mongodb_atlas_uri": "mongodb+srv://demo:demo@cluster0.example.mongodb.net/illustra",
}


def _site(env: str, **extra) -> wt.PlaybookRun:
    return wt.run_playbook("playbooks/site.yml", f"inventories/{env}", {"webstack_confirm": env, **FAST, **extra})


def _promote(env: str, source: str) -> wt.PlaybookRun:
    return wt.run_playbook(
        "playbooks/promote.yml", f"inventories/{env}", {"webstack_confirm": env, "promote_from": source, **FAST}
    )


def _parameter(name: str) -> str:
    return boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]


def _served(env: str) -> dict[str, str]:
    """The website bucket's live content: key -> sha256 (the release records kept aside)."""
    s3 = boto3.client("s3")
    bucket = f"illustra-{env}-frontend"
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
        if not o["Key"].startswith(".webstack/")
    ]
    return {k: hashlib.sha256(s3.get_object(Bucket=bucket, Key=k)["Body"].read()).hexdigest() for k in keys}


def _artifact(env: str, key: str) -> str:
    s3 = boto3.client("s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"illustra-{env}-artifacts-")]
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def _pinned_release(env: str) -> str:
    """The release the group's launch template version (the one the group runs) names in its user data."""
    (group,) = boto3.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[f"illustra-{env}-backend"]
    )["AutoScalingGroups"]
    template = (
        group.get("LaunchTemplate") or group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
    )
    data = boto3.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[str(template["Version"])]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    user_data = base64.b64decode(data["UserData"]).decode()
    return next(line.split("=", 1)[1] for line in user_data.splitlines() if line.startswith("RELEASE_ID="))


def test_promote_moves_website_and_backend_dev_to_staging_to_prod(clean_emulator):
    dev = _site("dev", website_build_dir=str(BUILD), backend_release_id="3.1.0")
    assert dev.rc == 0, dev.summary()
    for env in ("staging", "prod"):
        infra = _site(env)
        assert infra.rc == 0, infra.summary()
    dev_site = _served("dev")
    dev_backend = json.loads(_parameter("/illustra/dev/backend/last-good-release"))
    assert dev_backend["release_id"] == "3.1.0"
    artifact = _artifact("dev", dev_backend["artifact_key"])

    for source, target in (("dev", "staging"), ("staging", "prod")):
        promoted = _promote(target, source)
        assert promoted.rc == 0, promoted.summary()
        # The website: the source's release content, byte for byte, recorded as the target's last good release.
        assert _served(target) == dev_site
        release = _parameter(f"/illustra/{target}/website/last_good_release")
        s3 = boto3.client("s3")
        manifest = json.loads(
            s3.get_object(Bucket=f"illustra-{target}-frontend", Key=f".webstack/releases/{release}.json")["Body"].read()
        )
        assert manifest["metadata"]["promoted_from"] == source
        # The backend: the same artifact bytes, the launch template pinned to the release, recorded as last good.
        record = json.loads(_parameter(f"/illustra/{target}/backend/last-good-release"))
        assert record["release_id"] == "3.1.0"
        assert _artifact(target, record["artifact_key"]) == artifact
        assert _pinned_release(target) == "3.1.0"

    backwards = _promote("dev", "staging")
    assert backwards.rc != 0
    assert "releases move dev → staging → prod" in " ".join(backwards.failure_messages())
