"""Data: the mongodb and backup roles against the emulator, and the restore drill.

- AWS side (self_hosted + AWS Backup, prod inventory): converge, assert the emulator's state, converge
  again (changed == 0), --check (changed == 0, nothing created), tear down (no tagged resources left).
- Atlas mode: the connection string lands in SSM as a SecureString; idempotent; torn down.
- Restore drill: a real wire-protocol server (secantusdb, SCRAM auth on) on loopback, a backup bucket
  on the emulator; seed every BSON type, back up with playbooks/backup.yml, destroy the data, restore
  with playbooks/restore.yml, and compare every document byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import webstack_test as wt

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = wt.ROOT
SECANTUSD = ROOT / ".venv" / "bin" / "secantusd-py"
PUBLISH = "illustra.webstack.backup : Publish the result"


def _playbook(tmp_path: Path, roles: list[str]) -> str:
    tasks = "".join(
        f"    - name: Run the {r} role\n      ansible.builtin.include_role:\n        name: illustra.webstack.{r}\n"
        for r in roles
    )
    path = tmp_path / "data.yml"
    path.write_text(f"- name: Data roles\n  hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}")
    return str(path)


def _network() -> dict:
    """What the vpc role publishes, built directly (the vpc role is tested on its own)."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.10.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    return {
        "vpc_id": vpc,
        "private_subnet_ids": [subnet["SubnetId"]],
        "security_group_ids": {"db": sg, "app": None, "alb": None},
    }


def _ami() -> str:
    return boto3.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def _instances(env: str) -> list[dict]:
    pages = boto3.client("ec2").describe_instances(
        Filters=[
            {"Name": "tag:Environment", "Values": [env]},
            {"Name": "tag:ManagedBy", "Values": [wt.MANAGED_BY]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )
    return [i for r in pages["Reservations"] for i in r["Instances"]]


def _ssm(name: str) -> dict | None:
    try:
        return boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except boto3.client("ssm").exceptions.ParameterNotFound:
        return None


def _buckets(prefix: str) -> list[str]:
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(prefix)]


_BACKUP_ROLE = "illustra-prod-backup-aws-backup"


def _selection(plan_id: str) -> dict:
    """The plan's one backup selection, as GetBackupSelection returns it (flattened)."""
    backup = boto3.client("backup")
    (listed,) = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=listed["SelectionId"])
    return {"SelectionId": got["SelectionId"], **got["BackupSelection"]}


def test_self_hosted_and_aws_backup_converge_idempotent_check_and_teardown(clean_emulator, tmp_path):
    playbook = _playbook(tmp_path, ["mongodb", "backup"])
    net = _network()
    extra = {"vpc__output": net, "mongodb_ami_id": _ami()}

    # check mode on an empty account: reports what it would create, creates nothing
    check = wt.run_playbook(playbook, "inventories/prod", extra, check=True)
    assert check.rc == 0, check.summary()
    assert check.changed > 0, check.summary()
    assert _instances("prod") == []
    assert _ssm("/illustra/prod/mongodb/uri") is None
    assert _buckets("illustra-prod-backups-") == []

    first = wt.run_playbook(playbook, "inventories/prod", extra)
    assert first.rc == 0, first.summary()

    # the instance: private subnet, db SG, IMDSv2, encrypted root volume, standard tags, instance profile
    (inst,) = _instances("prod")
    assert inst["SubnetId"] == net["private_subnet_ids"][0]
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [net["security_group_ids"]["db"]]
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    assert "PublicIpAddress" not in inst or not inst["PublicIpAddress"]
    assert inst["IamInstanceProfile"]["Arn"].endswith("/illustra-prod-mongodb-instance")
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    assert tags["Project"] == "illustra"
    assert tags["Role"] == "mongodb"
    volume_ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
    volumes = boto3.client("ec2").describe_volumes(VolumeIds=volume_ids)["Volumes"]
    assert volumes
    assert all(v["Encrypted"] for v in volumes)

    # secrets: SecureStrings; the URI points at the instance's private address with the stored app password
    uri = _ssm("/illustra/prod/mongodb/uri")
    app_pw = _ssm("/illustra/prod/mongodb/app_password")
    admin_pw = _ssm("/illustra/prod/mongodb/admin_password")
    assert {uri["Type"], app_pw["Type"], admin_pw["Type"]} == {"SecureString"}
    assert len(app_pw["Value"]) == 32
    assert app_pw["Value"] != admin_pw["Value"]
    assert uri["Value"] == (
        f"mongodb://illustra_app:{app_pw['Value']}@{inst['PrivateIpAddress']}:27017/illustra?authSource=admin&directConnection=true"
    )
    # never printed
    for secret in (app_pw["Value"], admin_pw["Value"]):
        assert secret not in first.stdout
        assert secret not in first.stderr

    # the backup bucket: versioned, encrypted, private, TLS-only, lifecycle per env (prod: 90 days)
    s3 = boto3.client("s3")
    (bucket,) = _buckets("illustra-prod-backups-")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lc,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lc["Expiration"]["Days"] == 90
    assert lc["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30

    # failure hook: alarm when no successful dump in a day (missing data = breaching)
    (alarm,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=["illustra-prod-backup-no-successful-dump"])[
        "MetricAlarms"
    ]
    assert alarm["MetricName"] == "BackupSuccess"
    assert alarm["TreatMissingData"] == "breaching"
    # ... and it tells someone: the environment's alert topic (the cloudwatch role's), like every other alarm.
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert alarm["AlarmActions"] == [f"arn:aws:sns:us-east-1:{account}:illustra-prod-alerts"]

    # least privilege upload policy on the instance role
    doc = boto3.client("iam").get_role_policy(
        RoleName="illustra-prod-mongodb-instance", PolicyName="illustra-prod-backup-upload"
    )
    actions = sorted(
        a
        for s in doc["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert actions == ["cloudwatch:PutMetricData", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]

    # AWS Backup (prod: daily_aws_backup): vault and a daily plan with 35-day retention
    backup = boto3.client("backup")
    assert [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]] == [
        "illustra-prod-backup-vault"
    ]
    (plan,) = backup.list_backup_plans()["BackupPlansList"]
    (prule,) = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert prule["Lifecycle"]["DeleteAfterDays"] == 35
    selection = _selection(plan["BackupPlanId"])
    assert selection["SelectionName"] == "illustra-prod-backup-tagged"
    assert selection["IamRoleArn"] == boto3.client("iam").get_role(RoleName=_BACKUP_ROLE)["Role"]["Arn"]
    assert selection["Resources"] == ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*"]
    assert selection["Conditions"]["StringEquals"] == [
        {"ConditionKey": "aws:ResourceTag/Project", "ConditionValue": "illustra"},
        {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "prod"},
    ]
    assert not any(selection["Conditions"][op] for op in ("StringNotEquals", "StringLike", "StringNotLike"))

    again = wt.run_playbook(playbook, "inventories/prod", extra)
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()
    assert _ssm("/illustra/prod/mongodb/app_password")["Value"] == app_pw["Value"], "passwords are generated once"
    assert _selection(plan["BackupPlanId"]) == selection, "the selection is kept, not replaced"

    check = wt.run_playbook(playbook, "inventories/prod", extra, check=True, diff=True)
    assert check.rc == 0, check.summary()
    assert check.changed == 0, check.summary()
    assert _selection(plan["BackupPlanId"]) == selection

    down = wt.run_playbook(
        playbook,
        "inventories/prod",
        {**extra, "mongodb_state": "absent", "backup_state": "absent", "backup_delete_dumps_on_teardown": True},
    )
    assert down.rc == 0, down.summary()
    assert _instances("prod") == []
    assert _ssm("/illustra/prod/mongodb/uri") is None
    assert _buckets("illustra-prod-backups-") == []
    assert backup.list_backup_vaults()["BackupVaultList"] == []
    assert backup.list_backup_plans()["BackupPlansList"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])
    assert wt.tagged_resources("illustra", "prod") == []


@pytest.mark.parametrize("mode_at_teardown", ["daily", "off"])
def test_aws_backup_is_torn_down_whatever_the_backup_mode_says_now(clean_emulator, tmp_path, mode_at_teardown):
    """A stack converged with AWS Backup (prod: daily_aws_backup), torn down by teardown.yml under another mode:
    its selection, plan and vault go all the same. With daily, the backup role used to delete the plan but not its
    selection (Related backup plan selections must be deleted); with off, teardown.yml skipped the role."""
    extra = {"vpc__output": _network(), "mongodb_ami_id": _ami()}
    up = wt.run_playbook(_playbook(tmp_path, ["mongodb", "backup"]), "inventories/prod", extra)
    assert up.rc == 0, up.summary()
    backup = boto3.client("backup")
    (plan,) = backup.list_backup_plans()["BackupPlansList"]
    assert _selection(plan["BackupPlanId"])["SelectionName"] == "illustra-prod-backup-tagged"

    down = wt.run_playbook(
        "playbooks/teardown.yml",
        "inventories/prod",
        {
            **extra,
            "teardown_confirm": "DESTROY-PROD",
            "teardown_delete_backups": True,
            "webstack_backup_mode": mode_at_teardown,
        },
    )
    assert down.rc == 0, down.summary()
    assert backup.list_backup_plans()["BackupPlansList"] == []
    assert backup.list_backup_vaults()["BackupVaultList"] == []
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])
    with pytest.raises(boto3.client("iam").exceptions.NoSuchEntityException):
        boto3.client("iam").get_role(RoleName=_BACKUP_ROLE)


def test_atlas_mode_stores_the_connection_string(clean_emulator, tmp_path):
    playbook = _playbook(tmp_path, ["mongodb"])
    atlas = "mongodb+srv://illustra:S3cr3t-Atlas-pw@cluster0.example.mongodb.net/illustra"

    missing = wt.run_playbook(playbook, "inventories/dev")
    assert missing.rc != 0
    assert "mongodb_atlas_uri" in " ".join(missing.failure_messages())

    first = wt.run_playbook(playbook, "inventories/dev", {"mongodb_atlas_uri": atlas})
    assert first.rc == 0, first.summary()
    param = _ssm("/illustra/dev/mongodb/uri")
    assert param["Type"] == "SecureString"
    assert param["Value"] == atlas
    assert "S3cr3t-Atlas-pw" not in first.stdout + first.stderr
    assert _instances("dev") == []

    again = wt.run_playbook(playbook, "inventories/dev", {"mongodb_atlas_uri": atlas})
    assert again.changed == 0, again.summary()

    down = wt.run_playbook(playbook, "inventories/dev", {"mongodb_atlas_uri": atlas, "mongodb_state": "absent"})
    assert down.rc == 0, down.summary()
    assert _ssm("/illustra/dev/mongodb/uri") is None
    assert wt.tagged_resources("illustra", "dev") == []


# ---------------------------------------------------------------- restore drill


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_secantus(data: Path, port: int, auth: bool) -> subprocess.Popen:
    cmd = [str(SECANTUSD), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)]
    if auth:
        cmd.append("--auth")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("secantusd did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def mongo(tmp_path):
    """secantusdb with SCRAM auth: an admin and an app user with readWrite on `illustra` only."""
    from pymongo import MongoClient

    if not SECANTUSD.exists():
        pytest.skip("secantusdb is not installed in .venv (pip install secantusdb==0.7.0b3)")
    data, port = tmp_path / "db", _free_port()
    boot = _start_secantus(data, port, auth=False)  # secantusdb has no localhost exception
    try:
        client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=10000)
        client.admin.command("createUser", "admin", pwd="drill-admin-pw", roles=[{"role": "root", "db": "admin"}])
        client.admin.command(
            "createUser", "illustra_app", pwd="drill-app-pw", roles=[{"role": "readWrite", "db": "illustra"}]
        )
        client.close()
    finally:
        _stop(boot)
    proc = _start_secantus(data, port, auth=True)
    try:
        yield f"mongodb://illustra_app:drill-app-pw@127.0.0.1:{port}/illustra?authSource=admin&directConnection=true"
    finally:
        _stop(proc)


def _seed(db) -> None:
    import datetime
    import decimal
    import uuid

    from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

    db.users.insert_many(
        [{"_id": ObjectId(), "email": f"user{i}@example.com", "n": i, "score": i * 1.25} for i in range(1500)]
    )
    db.users.create_index("email", unique=True)
    db.projects.insert_many(
        [
            {
                "_id": i,
                "title": f"Projet n°{i} ✓",
                "owner": Int64(2**40 + i),
                "budget": Decimal128(decimal.Decimal(f"{i}.10")),
                "created": datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=i),
                "blob": Binary(bytes(range(i % 256)), 0),
                "uuid": Binary.from_uuid(uuid.UUID(int=i)),
                "pattern": Regex("^p.*", "i"),
                "code": Code("function(){return 1}"),
                "ts": Timestamp(1_700_000_000, i + 1),
                "bounds": [MinKey(), MaxKey()],
                "nested": {"tags": ["a", {"deep": None}], "flag": i % 2 == 0},
            }
            for i in range(300)
        ]
    )


def _snapshot(db) -> dict:
    from bson.codec_options import CodecOptions
    from bson.raw_bson import RawBSONDocument

    raw = CodecOptions(document_class=RawBSONDocument)
    return {
        name: sorted(d.raw for d in db.get_collection(name, codec_options=raw).find())
        for name in sorted(db.list_collection_names())
    }


def test_restore_drill_loses_no_document(clean_emulator, mongo, tmp_path):
    from pymongo import MongoClient, errors

    playbook = _playbook(tmp_path, ["backup"])
    aws = wt.run_playbook(playbook, "inventories/staging", {"backup_instance_role_name": ""})
    assert aws.rc == 0, aws.summary()
    (bucket,) = _buckets("illustra-staging-backups-")

    client = MongoClient(mongo, serverSelectionTimeoutMS=10000)
    db = client.illustra
    _seed(db)
    before = _snapshot(db)
    assert sum(len(v) for v in before.values()) == 1800

    # the app user can read/write its database and nothing else; no credentials, no access
    with pytest.raises(errors.OperationFailure):
        client.other.things.insert_one({"x": 1})
    anonymous = MongoClient(mongo.replace("illustra_app:drill-app-pw@", ""), serverSelectionTimeoutMS=10000)
    with pytest.raises(errors.OperationFailure):
        anonymous.illustra.users.find_one()

    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    db1:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
        "    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
        "  children:\n    mongodb:\n      hosts:\n        db1:\n"
    )
    shutil.copytree(ROOT / "inventories" / "staging" / "group_vars", tmp_path / "group_vars")
    host_vars = {
        "backup_mongodb_uri": mongo,
        "backup_local_dir": str(tmp_path / "local"),
        "backup_become": False,
        # db1 is this machine: the tool's dependencies are in the controller's Python, not the system's.
        "backup_python": sys.executable,
    }

    started = time.monotonic()
    dumped = wt.run_playbook("playbooks/backup.yml", str(inventory), host_vars)
    assert dumped.rc == 0, dumped.summary()
    result = dumped.result(PUBLISH, "db1")["ansible_facts"]["backup__run_output"]
    assert result["tool"] == "builtin"  # no mongodump here; see roles/backup/README.md
    assert "drill-app-pw" not in dumped.stdout + dumped.stderr
    head = boto3.client("s3").head_object(Bucket=bucket, Key=result["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert result["key"].startswith("mongodb/illustra/")
    assert os.path.exists(result["local_file"])

    # disaster: collections dropped, one replaced with junk
    db.users.drop()
    db.projects.delete_many({"_id": {"$lt": 150}})
    db.projects.insert_one({"_id": "junk"})
    assert _snapshot(db) != before

    refused = wt.run_playbook("playbooks/restore.yml", str(inventory), host_vars)
    assert refused.rc != 0
    assert "restore_confirm" in " ".join(refused.failure_messages())

    restored = wt.run_playbook("playbooks/restore.yml", str(inventory), {**host_vars, "restore_confirm": True})
    assert restored.rc == 0, restored.summary()
    out = restored.result(PUBLISH, "db1")["ansible_facts"]["backup__run_output"]
    assert out["restored"] == f"s3://{bucket}/{result['key']}"
    after = _snapshot(db)
    assert after.keys() == before.keys()
    for name, docs in before.items():
        assert after[name] == docs, f"{name}: {len(docs)} documents before, {len(after[name])} after"
    assert any(ix["name"] == "email_1" and ix.get("unique") for ix in db.users.list_indexes())
    print(f"restore drill: 1800 documents backed up and restored in {time.monotonic() - started:.1f}s")

    client.close()
    anonymous.close()

    down = wt.run_playbook(
        playbook,
        "inventories/staging",
        {"backup_state": "absent", "backup_delete_dumps_on_teardown": True, "backup_instance_role_name": ""},
    )
    assert down.rc == 0, down.summary()
    assert wt.tagged_resources("illustra", "staging") == []
