# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Back up and restore one MongoDB database to/from S3, in mongodump's directory layout.

Installed on the database host by the `illustra.webstack.backup` role and run by a systemd timer
(`backup`), by `playbooks/backup.yml` (`backup`) and by `playbooks/restore.yml` (`restore`).

Dump format (the same as `mongodump --db <db> --gzip --out <dir>`, which `mongorestore --gzip`
reads back):

    <stamp>/<db>/<collection>.bson.gz            gzip of the collection's documents, concatenated BSON
    <stamp>/<db>/<collection>.metadata.json.gz   gzip of {"indexes": [...], "collectionName": ..., ...}
                                                 in canonical Extended JSON

The directory is packed into one uncompressed tar (its members are already gzip-compressed) and
uploaded as `<prefix>/<db>/<stamp>.tar`. With `--tool auto` the real `mongodump`/`mongorestore`
are used when they are on PATH; otherwise a built-in exporter/importer (pymongo) writes/reads the
same layout byte for byte (documents are copied as raw BSON, so every BSON type survives).

Credentials never appear on a command line: the URI comes from the 0600 config file, and the
real tools get it through a 0600 `--config` file.

Python 3.8+, needs pymongo (bson) and boto3.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMP_RE = re.compile(r"^(\d{8}T\d{6}Z)\.tar$")
BATCH = 1000
UTC = datetime.timezone.utc  # noqa: UP017  the script runs on target hosts with Python 3.8+


# ---------------------------------------------------------------- pure helpers (unit-tested)


def stamp(now):
    """A sortable UTC name for a dump taken at `now`."""
    return now.astimezone(UTC).strftime(STAMP_FORMAT)


def parse_stamp(name):
    """The UTC datetime of a dump file name (`<stamp>.tar`), or None for other files."""
    m = STAMP_RE.match(os.path.basename(name))
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), STAMP_FORMAT).replace(tzinfo=UTC)


def plan_local_prune(names, keep_days, now, keep_min=1):
    """Which local dump files to delete: older than `keep_days`, but never the newest `keep_min`.

    Files that are not dumps (no stamp) are never touched.
    """
    dated = sorted(((parse_stamp(n), n) for n in names if parse_stamp(n)), reverse=True)
    cutoff = now - datetime.timedelta(days=keep_days)
    return sorted(n for i, (when, n) in enumerate(dated) if i >= keep_min and when < cutoff)


def object_key(prefix, database, dump_stamp):
    prefix = prefix.strip("/")
    return "/".join(p for p in (prefix, database, dump_stamp + ".tar") if p)


def select_dump(keys, name=None):
    """The S3 key to restore: the named dump (a stamp, a file name or a full key) or the latest one."""
    dumps = sorted(k for k in keys if parse_stamp(k))
    if not dumps:
        raise LookupError("no dumps found")
    if name in (None, "", "latest"):
        return dumps[-1]
    for key in dumps:
        base = os.path.basename(key)
        if name in (key, base, base[: -len(".tar")]):
            return key
    raise LookupError("no dump named {!r} (have: {})".format(name, ", ".join(os.path.basename(k) for k in dumps[-5:])))


# ---------------------------------------------------------------- built-in exporter / importer


def _bson():
    import bson  # noqa: PLC0415  (pymongo's bson; imported late so --help works without it)
    from bson import json_util  # noqa: PLC0415
    from bson.codec_options import CodecOptions  # noqa: PLC0415
    from bson.raw_bson import RawBSONDocument  # noqa: PLC0415

    return bson, json_util, CodecOptions(document_class=RawBSONDocument)


def export_database(db, out_dir):
    """Write every collection of `db` (a pymongo Database) as mongodump's gzip directory layout.

    Returns {collection: document count}.
    """
    _bson_module, json_util, raw = _bson()
    target = os.path.join(out_dir, db.name)
    os.makedirs(target, exist_ok=True)
    counts = {}
    for info in db.list_collections():
        name = info["name"]
        if name.startswith("system.") or info.get("type", "collection") != "collection":
            continue
        coll = db.get_collection(name, codec_options=raw)
        count = 0
        with gzip.open(os.path.join(target, name + ".bson.gz"), "wb") as fh:
            for doc in coll.find({}, sort=[("_id", 1)]):
                fh.write(doc.raw)
                count += 1
        indexes = [dict(ix) for ix in db.get_collection(name).list_indexes()]
        metadata = {
            "indexes": indexes,
            "collectionName": name,
            "type": "collection",
            "options": dict(info.get("options", {})),
        }
        with gzip.open(os.path.join(target, name + ".metadata.json.gz"), "wt", encoding="utf-8") as fh:
            fh.write(json_util.dumps(metadata, json_options=json_util.CANONICAL_JSON_OPTIONS))
        counts[name] = count
    return counts


def read_bson_file(path):
    """Iterate the raw BSON documents of a `.bson.gz` file."""
    bson, _json_util, raw = _bson()
    with gzip.open(path, "rb") as fh:
        yield from bson.decode_file_iter(fh, codec_options=raw)


def import_database(db, dump_db_dir, drop=True):
    """Load a mongodump-layout directory (one database) into `db`. Returns {collection: count}."""
    _bson_module, json_util, raw = _bson()
    counts = {}
    for fname in sorted(os.listdir(dump_db_dir)):
        if not fname.endswith(".bson.gz"):
            continue
        name = fname[: -len(".bson.gz")]
        coll = db.get_collection(name, codec_options=raw)
        if drop:
            coll.drop()
        batch, count = [], 0
        for doc in read_bson_file(os.path.join(dump_db_dir, fname)):
            batch.append(doc)
            if len(batch) >= BATCH:
                coll.insert_many(batch, ordered=True)
                count += len(batch)
                batch = []
        if batch:
            coll.insert_many(batch, ordered=True)
            count += len(batch)
        meta_path = os.path.join(dump_db_dir, name + ".metadata.json.gz")
        if os.path.exists(meta_path):
            with gzip.open(meta_path, "rt", encoding="utf-8") as fh:
                metadata = json_util.loads(fh.read())
            for index in metadata.get("indexes", []):
                if index.get("name") == "_id_":
                    continue
                options = {k: v for k, v in index.items() if k not in ("key", "v", "ns")}
                db.get_collection(name).create_index(list(index["key"].items()), **options)
        counts[name] = count
    return counts


# ---------------------------------------------------------------- real tools


def _tool_config(uri):
    """A 0600 YAML config file for mongodump/mongorestore carrying the URI (kept off the command line)."""
    fd, path = tempfile.mkstemp(prefix="webstack-mongo-", suffix=".yml")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"uri: {json.dumps(uri)}\n")
    return path


def use_real_tool(tool, name):
    if tool == "builtin":
        return False
    found = shutil.which(name) is not None
    if tool == "mongodump" and not found:
        raise RuntimeError(f"{name} requested (--tool mongodump) but not found on PATH")
    return found


def dump(cfg, out_dir):
    if use_real_tool(cfg["tool"], "mongodump"):
        conf = _tool_config(cfg["uri"])
        try:
            subprocess.run(
                ["mongodump", "--config", conf, "--db", cfg["database"], "--gzip", "--out", out_dir],
                check=True,
            )
        finally:
            os.unlink(conf)
        return "mongodump"
    client = _client(cfg)
    try:
        export_database(client[cfg["database"]], out_dir)
    finally:
        client.close()
    return "builtin"


def restore_dir(cfg, dump_dir, source_db):
    db_dir = os.path.join(dump_dir, source_db)
    if use_real_tool(cfg["tool"], "mongorestore"):
        conf = _tool_config(cfg["uri"])
        try:
            subprocess.run(
                [
                    "mongorestore",
                    "--config",
                    conf,
                    "--gzip",
                    "--drop",
                    "--nsInclude",
                    source_db + ".*",
                    "--nsFrom",
                    source_db + ".*",
                    "--nsTo",
                    cfg["database"] + ".*",
                    "--dir",
                    dump_dir,
                ],
                check=True,
            )
        finally:
            os.unlink(conf)
        return "mongorestore"
    client = _client(cfg)
    try:
        import_database(client[cfg["database"]], db_dir, drop=True)
    finally:
        client.close()
    return "builtin"


def _client(cfg):
    from pymongo import MongoClient  # noqa: PLC0415

    return MongoClient(cfg["uri"], serverSelectionTimeoutMS=15000)


# ---------------------------------------------------------------- S3, metrics, commands


def _aws(service, cfg):
    import boto3  # noqa: PLC0415

    # The SDKs' endpoint override (AWS_ENDPOINT_URL[_<SERVICE>]): botocore 1.31+ reads it itself, Debian 12's
    # python3-botocore (1.29) does not, so it is passed on; unset (as on AWS) it changes nothing.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_" + service.upper()) or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client(service, region_name=cfg.get("region") or None, endpoint_url=endpoint or None)


def put_metric(cfg, name):
    if not cfg.get("metric_namespace"):
        return
    dims = [{"Name": k, "Value": str(v)} for k, v in sorted(cfg.get("metric_dimensions", {}).items())]
    try:
        _aws("cloudwatch", cfg).put_metric_data(
            Namespace=cfg["metric_namespace"], MetricData=[{"MetricName": name, "Value": 1.0, "Dimensions": dims}]
        )
    except Exception as exc:  # a metric must never hide the backup's own result
        print(f"warning: could not publish metric {name}: {exc}", file=sys.stderr)


def cmd_backup(cfg):
    now = datetime.datetime.now(UTC)
    name = stamp(now)
    local_dir = cfg["local_dir"]
    os.makedirs(local_dir, mode=0o700, exist_ok=True)
    work = tempfile.mkdtemp(prefix="dump-", dir=local_dir)
    try:
        tool = dump(cfg, work)
        archive = os.path.join(local_dir, name + ".tar")
        with tarfile.open(archive + ".part", "w") as tar:
            tar.add(os.path.join(work, cfg["database"]), arcname=cfg["database"])
        os.replace(archive + ".part", archive)
        os.chmod(archive, 0o600)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"dump": name, "tool": tool, "local_file": archive, "bytes": os.path.getsize(archive)}
    if cfg.get("bucket"):
        key = object_key(cfg.get("prefix", ""), cfg["database"], name)
        # the bucket's default encryption applies; sse/kms_key_id only override it
        extra = {"ServerSideEncryption": cfg["sse"]} if cfg.get("sse") else {}
        if cfg.get("kms_key_id"):
            extra["SSEKMSKeyId"] = cfg["kms_key_id"]
        _aws("s3", cfg).upload_file(archive, cfg["bucket"], key, ExtraArgs=extra)
        result.update(bucket=cfg["bucket"], key=key)
    pruned = plan_local_prune(os.listdir(local_dir), cfg.get("keep_days", 7), now, cfg.get("keep_min", 1))
    for fname in pruned:
        os.unlink(os.path.join(local_dir, fname))
    result["pruned"] = pruned
    return result


def list_keys(cfg):
    prefix = "/".join(p for p in (cfg.get("prefix", "").strip("/"), cfg["database"]) if p) + "/"
    keys = []
    for page in _aws("s3", cfg).get_paginator("list_objects_v2").paginate(Bucket=cfg["bucket"], Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def cmd_restore(cfg, name):
    work = tempfile.mkdtemp(prefix="restore-", dir=cfg["local_dir"])
    try:
        if cfg.get("bucket"):
            key = select_dump(list_keys(cfg), name)
            archive = os.path.join(work, os.path.basename(key))
            _aws("s3", cfg).download_file(cfg["bucket"], key, archive)
            source = "s3://{}/{}".format(cfg["bucket"], key)
        else:
            local = [f for f in os.listdir(cfg["local_dir"]) if parse_stamp(f)]
            archive = os.path.join(cfg["local_dir"], select_dump(local, name))
            source = archive
        extract = os.path.join(work, "dump")
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for m in members:
                if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in m.name.split("/"):
                    raise RuntimeError(f"refusing unsafe tar member {m.name!r}")
            tar.extractall(extract, members=members)  # members checked above
        dbs = [d for d in os.listdir(extract) if os.path.isdir(os.path.join(extract, d))]
        if len(dbs) != 1:
            raise RuntimeError(f"dump holds {len(dbs)} databases, expected one")
        tool = restore_dir(cfg, extract, dbs[0])
        return {"restored": source, "tool": tool, "database": cfg["database"], "source_database": dbs[0]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_config(args):
    cfg = {"tool": "auto", "keep_days": 7, "keep_min": 1, "local_dir": "/var/backups/mongodb", "prefix": ""}
    if args.config:
        with open(args.config) as fh:
            cfg.update(json.load(fh))
    for key in ("uri", "database", "bucket", "prefix", "local_dir", "tool", "region"):
        value = getattr(args, key, None)
        if value is not None:
            cfg[key] = value
    if os.environ.get("WEBSTACK_MONGODB_URI"):
        cfg["uri"] = os.environ["WEBSTACK_MONGODB_URI"]
    missing = [k for k in ("uri", "database") if not cfg.get(k)]
    if missing:
        raise SystemExit("missing setting(s): {} (config file or options)".format(", ".join(missing)))
    return cfg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["backup", "restore"])
    parser.add_argument("--config", help="JSON config file (0600), written by the backup role")
    parser.add_argument("--name", default="latest", help="restore: dump stamp, file name or key; default latest")
    parser.add_argument("--uri")
    parser.add_argument("--database")
    parser.add_argument("--bucket")
    parser.add_argument("--prefix")
    parser.add_argument("--local-dir", dest="local_dir")
    parser.add_argument("--region")
    parser.add_argument("--tool", choices=["auto", "mongodump", "builtin"])
    args = parser.parse_args(argv)
    cfg = load_config(args)
    started = time.monotonic()
    try:
        result = cmd_backup(cfg) if args.command == "backup" else cmd_restore(cfg, args.name)
    except Exception as exc:
        if args.command == "backup":
            put_metric(cfg, "BackupFailure")
        print(json.dumps({"failed": True, "msg": f"{args.command} failed: {exc}"}))
        return 1
    if args.command == "backup":
        put_metric(cfg, "BackupSuccess")
    result["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
