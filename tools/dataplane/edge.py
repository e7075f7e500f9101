"""The edge of the data plane: CloudFront, WAF and S3 website stand-ins in one nginx, and Route 53 as resolve entries.

The data plane's `up` calls `edge.up(state)` once the hosts and the load balancer stand-in serve, and
`down` calls `edge.down(state)` first. `up` may run again at any time (after a change to the
distribution, a new web ACL): it reads the emulator again, rewrites the configuration and reloads.

What it reads from the emulator, for the environment's resources (tag Environment=<env>):
- CloudFront distributions, their response headers policies, OACs and functions (edge_cloudfront.py);
- the web ACL of each distribution and of each load balancer (edge_waf.py): a distribution's WAF runs
  in the distribution's own server; a load balancer's runs in a server of its own in front of the load
  balancer stand-in (HAProxy), with the same listeners and certificates;
- S3 buckets with a website configuration (dev's website): their website endpoint, which the emulator
  itself answers, served on port 80;
- the Route 53 records (edge_dns.py), which become the state's resolve entries.

What it writes: `<state dir>/edge/` (nginx.conf, the njs modules, the ModSecurity rules, logs),
state["website_url"], state["resolve"], state["edge"] (what is modelled, per stand-in),
state["alb_front"] (the WAF's address when it answers for the load balancer's names, else null) and
state["processes"]["edge"] (nginx's master PID).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import jinja2
import yaml
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import ca, edge_cloudfront, edge_dns, edge_waf
from . import state as state_module

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin") or "/usr/sbin/nginx"
# The unprivileged user nginx's workers run as (the master needs root for ports 80 and 443).
WORKER_USER = ("nobody", "nogroup")
GLOBAL_REGION = "us-east-1"  # CloudFront, its WAF scope, Route 53 and CloudFront's ACM certificates
# Load balancer TLS policies (ELBSecurityPolicy-*) by the oldest protocol they accept.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
ALB_POLICY_PROTOCOLS = (
    ("TLS13-1-3", "TLSv1.3"),
    ("TLS13-1-2", "TLSv1.2 TLSv1.3"),
    ("TLS-1-2", "TLSv1.2"),
    ("FS-1-2", "TLSv1.2"),
    ("TLS13-1-1", "TLSv1.1 TLSv1.2 TLSv1.3"),
    ("TLS-1-1", "TLSv1.1 TLSv1.2"),
    ("FS-1-1", "TLSv1.1 TLSv1.2"),
    ("TLS13-1-0", "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"),
)


def say(text: str) -> None:
    print(f"dataplane edge: {text}", file=sys.stderr, flush=True)


# The emulator's throwaway credentials (tools/emulator.py's client_env); the S3 stand-in for OAC signs with them.
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


def _client(state, service: str, region: str = GLOBAL_REGION):
    session = boto3.Session(
        aws_access_key_id=CREDENTIALS["access_key"], aws_secret_access_key=CREDENTIALS["secret_key"], region_name=region
    )
    return session.client(service, endpoint_url=state["emulator"], config=Config(retries={"max_attempts": 5}))


def _tags(items: list[dict]) -> dict:
    return {t["Key"]: t["Value"] for t in items or []}


def _ours(tags: dict, env: str) -> bool:
    return tags.get("Environment") == env and tags.get("ManagedBy") == "illustra.webstack"


def _region(state) -> str:
    """The environment's region (webstack_region in its inventory): its load balancer and buckets live there."""
    if state.get("region"):
        return state["region"]
    values = state_module.ROOT / "inventories" / state.env / "group_vars" / "all" / "webstack.yml"
    with contextlib.suppress(OSError):
        region = (yaml.safe_load(values.read_text()) or {}).get("webstack_region")
        if isinstance(region, str) and region and "{" not in region:
            return region
    return GLOBAL_REGION


# ---- reading the emulator ----------------------------------------------------------------------------


def distributions(cf, env: str) -> list[dict]:
    found = []
    for page in cf.get_paginator("list_distributions").paginate():
        for item in (page.get("DistributionList") or {}).get("Items") or []:
            tags = _tags(cf.list_tags_for_resource(Resource=item["ARN"])["Tags"].get("Items"))
            if _ours(tags, env):
                found.append(cf.get_distribution(Id=item["Id"])["Distribution"])
    return found


def load_balancers(elbv2, env: str) -> list[dict]:
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    found = []
    for lb in balancers:
        descriptions = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
        if not descriptions or not _ours(_tags(descriptions[0]["Tags"]), env):
            continue
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        found.append({"lb": lb, "listeners": sorted(listeners, key=lambda item: item["Port"])})
    return found


def web_acl(wafv2, arn: str) -> dict | None:
    """The web ACL of an ARN (arn:aws:wafv2:<region>:<account>:global|regional/webacl/<name>/<id>)."""
    if not arn:
        return None
    scope_part, _, name, acl_id = arn.split(":", 5)[5].split("/")
    scope = "CLOUDFRONT" if scope_part == "global" else "REGIONAL"
    return wafv2.get_web_acl(Name=name, Scope=scope, Id=acl_id)["WebACL"]


def websites(s3, env: str) -> list[dict]:
    found = []
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"])
            if not _ours(tags, env):
                continue
            s3.get_bucket_website(Bucket=name)
        except ClientError:
            continue
        found.append({"bucket": name})
    return found


def record_sets(route53) -> list[dict]:
    records = []
    for zone in route53.list_hosted_zones()["HostedZones"]:
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"]):
            records += page["ResourceRecordSets"]
    return records


def website_endpoint(bucket: str, region: str) -> str:
    """The S3 website endpoint's name (AWS General Reference, "Amazon S3 website endpoints")."""
    dash = {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
    }
    return f"{bucket}.s3-website{'-' if region in dash else '.'}{region}.amazonaws.com"


# ---- building the configuration ----------------------------------------------------------------------


def _alb_protocols(policy: str) -> str:
    for marker, protocols in ALB_POLICY_PROTOCOLS:
        if marker in (policy or ""):
            return protocols
    return "TLSv1 TLSv1.1 TLSv1.2"


def _resolve_table(entries: list[str]) -> dict[tuple[str, int], str]:
    table = {}
    for entry in entries:
        host, port, address = entry.rsplit(":", 2)
        table[(host.lower(), int(port))] = address
    return table


def _oac_signs(cf, oac_id: str) -> bool:
    if not oac_id:
        return False
    config = cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]
    return config.get("SigningBehavior", "always") != "never"


def _cloudfront_may_list(s3, bucket: str, distribution_arn: str) -> bool:
    """Whether the bucket policy lets the distribution list the bucket (then S3 answers a missing key with 404)."""
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError:
        return False
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = services if isinstance(services, list) else [services]
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        grants_list = {"s3:ListBucket", "s3:*"} & set(actions)
        ours = distribution_arn in json.dumps(statement.get("Condition", {}))
        if statement.get("Effect") == "Allow" and "cloudfront.amazonaws.com" in services and grants_list and ours:
            return True
    return False


def _origins(state, cf, s3, distribution: dict, table: dict) -> dict[str, edge_cloudfront.Origin]:
    emulator = urlsplit(state["emulator"])
    origins = {}
    for item in distribution["DistributionConfig"]["Origins"]["Items"]:
        upstream = f"cf_{distribution['Id'].lower()}_{len(origins)}"
        headers = [(h["HeaderName"], h["HeaderValue"]) for h in (item.get("CustomHeaders") or {}).get("Items") or []]
        s3_bucket = edge_cloudfront.s3_origin_bucket(item["DomainName"])
        if s3_bucket and "CustomOriginConfig" not in item:
            bucket, region = s3_bucket
            sign = _oac_signs(cf, item.get("OriginAccessControlId") or "")
            origins[item["Id"]] = edge_cloudfront.Origin(
                id=item["Id"],
                kind="s3",
                upstream=upstream,
                servers=[emulator.netloc],
                scheme="http",
                host=item["DomainName"],
                path=item.get("OriginPath") or "",
                sign=sign,
                region=region,
                headers=headers,
                connect_timeout=int(item.get("ConnectionTimeout") or 10),
                not_found_is_forbidden=sign and not _cloudfront_may_list(s3, bucket, distribution["ARN"]),
            )
            continue
        custom = item.get("CustomOriginConfig") or {}
        scheme = "http" if custom.get("OriginProtocolPolicy") == "http-only" else "https"
        port = int(custom.get("HTTPPort", 80) if scheme == "http" else custom.get("HTTPSPort", 443))
        address = table.get((item["DomainName"].lower(), port))
        if not address:
            raise edge_cloudfront.EdgeConfigError(
                f"origin {item['Id']} ({item['DomainName']}:{port}) has no stand-in: no resolve entry for it"
            )
        origins[item["Id"]] = edge_cloudfront.Origin(
            id=item["Id"],
            kind="custom",
            upstream=upstream,
            servers=[f"{address}:{port}"],
            scheme=scheme,
            host=item["DomainName"],
            path=item.get("OriginPath") or "",
            headers=headers,
            ssl_protocols=" ".join(
                p.replace("TLSv1.0", "TLSv1")
                for p in (custom.get("OriginSslProtocols") or {}).get("Items") or ["TLSv1.2"]
            ),
            read_timeout=int(custom.get("OriginReadTimeout") or 30),
            keepalive_timeout=int(custom.get("OriginKeepaliveTimeout") or 5),
            connect_timeout=int(item.get("ConnectionTimeout") or 10),
        )
    return origins


def _functions(cf, distribution: dict) -> dict[str, str]:
    config = distribution["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *((config.get("CacheBehaviors") or {}).get("Items") or [])]
    code = {}
    for behaviour in behaviours:
        for association in (behaviour.get("FunctionAssociations") or {}).get("Items") or []:
            name = edge_cloudfront.function_key(association["FunctionARN"])
            if name not in code:
                body = cf.get_function(Name=name, Stage="LIVE")["FunctionCode"]
                code[name] = body.read().decode() if hasattr(body, "read") else body.decode()
    return code


def _header_policies(cf, distribution: dict) -> dict[str, dict]:
    config = distribution["DistributionConfig"]
    behaviours = [config["DefaultCacheBehavior"], *((config.get("CacheBehaviors") or {}).get("Items") or [])]
    policies = {}
    for behaviour in behaviours:
        policy_id = behaviour.get("ResponseHeadersPolicyId")
        if (
            policy_id
            and policy_id not in policies
            and policy_id not in edge_cloudfront.MANAGED_RESPONSE_HEADERS_POLICIES
        ):
            result = cf.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]
            policies[policy_id] = result["ResponseHeadersPolicyConfig"]
    return policies


def _q(value, raw=False) -> str:
    """A value quoted for nginx (a literal `$` through the $webstack_dollar map)."""
    if raw:
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("$", "${webstack_dollar}")
    return f'"{text}"'


def render(context: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["q"] = _q
    return env.get_template("edge-nginx.conf.j2").render(**context)


def plan(state) -> dict:
    """Read the emulator and decide every stand-in; returns the template context and the state's additions."""
    env = state.env
    region = _region(state)
    cf = _client(state, "cloudfront")
    s3 = _client(state, "s3", region)
    waf_global = _client(state, "wafv2", GLOBAL_REGION)
    waf_regional = _client(state, "wafv2", region)
    edge_address = state.address("edge")
    addresses = state["addresses"]
    served: dict[str, tuple[str, list[int]]] = {}
    report: dict = {"distributions": [], "load_balancers": [], "websites": []}

    # Load balancers: their WAF, when their web ACL has something modelled, answers for them.
    alb_wafs = []
    for item in load_balancers(_client(state, "elbv2", region), env):
        lb, listeners = item["lb"], item["listeners"]
        acl = (waf_regional.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"]) or {}).get("WebACL")
        waf = edge_waf.model(acl)
        ports = [listener["Port"] for listener in listeners]
        entry = {"name": lb["LoadBalancerName"], "dns_name": lb["DNSName"], "waf": _waf_report(waf)}
        if waf and (waf["crs"] or waf["rates"]):
            if alb_wafs:
                raise edge_cloudfront.EdgeConfigError(
                    f"{env} has more than one load balancer with a web ACL; the WAF stand-in fronts one"
                )
            waf["zones"] = edge_waf.rate_zones(waf)
            front = addresses.get("alb_waf") or addresses["alb"]
            tls = []
            for listener in listeners:
                cert = {"port": listener["Port"], "protocol": listener["Protocol"]}
                if listener["Protocol"] == "HTTPS":
                    names = ca.acm_names(_client(state, "acm", region), listener["Certificates"][0]["CertificateArn"])
                    paths = ca.issue(state.dir, names)
                    cert.update(
                        cert=paths["cert"], key=paths["key"], protocols=_alb_protocols(listener.get("SslPolicy"))
                    )
                tls.append(cert)
            alb_wafs.append(
                dict(
                    waf,
                    alb=lb["LoadBalancerName"],
                    acl=waf["name"],
                    address=front,
                    target=addresses["alb"],
                    listeners=tls,
                    names=[lb["DNSName"]],
                )
            )
            served[lb["DNSName"]] = (front, ports)
        else:
            served[lb["DNSName"]] = (addresses["alb"], ports)
        report["load_balancers"].append(entry)

    # Distributions answer on the edge address, with their own name and through their aliases' records.
    found = distributions(cf, env)
    for distribution in found:
        served[distribution["DomainName"]] = (edge_address, [80, 443])

    # S3 website endpoints (dev): plain HTTP only, as on AWS.
    sites = []
    for site in websites(s3, env):
        host = website_endpoint(site["bucket"], region)
        served[host] = (addresses["website"], [80])
        sites.append(
            {
                "bucket": site["bucket"],
                "names": [host],
                "address": addresses["website"],
                "upstream": "webstack_emulator",
            }
        )
        report["websites"].append({"bucket": site["bucket"], "endpoint": host})

    entries = edge_dns.entries(record_sets(_client(state, "route53")), served)
    resolve = edge_dns.merge(state.get("resolve") or [], entries)
    table = _resolve_table(resolve)

    models, functions, origins, zones, header_rules = [], {}, [], [], {}
    for distribution in found:
        config = distribution["DistributionConfig"]
        viewer = config.get("ViewerCertificate") or {}
        certificates = {"default": _pick(ca.issue(state.dir, edge_cloudfront.DEFAULT_CERTIFICATE_NAMES))}
        if (config.get("Aliases") or {}).get("Items"):
            names = ca.acm_names(_client(state, "acm", GLOBAL_REGION), viewer["ACMCertificateArn"])
            certificates["aliases"] = _pick(ca.issue(state.dir, names))
        model = edge_cloudfront.build(
            distribution,
            origins=_origins(state, cf, s3, distribution, table),
            header_policies=_header_policies(cf, distribution),
            certificates=certificates,
        )
        model["waf"] = edge_waf.model(web_acl(waf_global, config.get("WebACLId") or ""))
        if model["waf"]:
            model["waf"]["zones"] = edge_waf.rate_zones(model["waf"])
        code = _functions(cf, distribution)
        functions.update(code)
        origins += model["origins"]
        header_rules.update(model["header_rules"])
        models.append(model)
        report["distributions"].append(
            {
                "id": model["id"],
                "domain_name": model["domain_name"],
                "aliases": model["aliases"],
                "behaviours": [f"{b.pattern or '*'} -> {b.origin.id}" for b in model["behaviours"]],
                "functions": sorted(code),
                "waf": _waf_report(model["waf"]),
            }
        )
    wafs = [m["waf"] for m in models if m["waf"] and m["waf"]["crs"]] + [w for w in alb_wafs if w["crs"]]
    for waf in [m["waf"] for m in models if m["waf"]] + alb_wafs:
        for zone in waf.get("zones") or []:
            if zone["zone"] not in {z["zone"] for z in zones}:
                zones.append(zone)
    emulator = urlsplit(state["emulator"]).netloc
    if sites:
        origins.append(
            edge_cloudfront.Origin(
                id="emulator",
                kind="emulator",
                upstream="webstack_emulator",
                servers=[emulator],
                scheme="http",
                host="",
                path="",
            )
        )
    context = {
        "env": env,
        "dir": str(state.dir / "edge"),
        "address": edge_address,
        "distributions": models,
        "alb_wafs": alb_wafs,
        "websites": sites,
        "wafs": wafs,
        "origins": origins,
        "rate_zones": zones,
        "header_rules": header_rules,
        "compressible_types": edge_cloudfront.COMPRESSIBLE_TYPES,
        "origin_prefix": edge_cloudfront.ORIGIN_PREFIX,
        "ca_bundle": state["ca_bundle"],
        "credentials": CREDENTIALS,
    }
    website_url = None
    if models:
        first = models[0]
        alias = next((a for a in first["aliases"] if (a.lower(), 443) in table), None)
        website_url = f"https://{alias or first['domain_name']}/"
    elif sites:
        website_url = f"http://{sites[0]['names'][0]}/"
    return {
        "context": context,
        "functions": functions,
        "wafs": wafs,
        "resolve": resolve,
        "entries": entries,
        "alb_front": addresses.get("alb_waf") if alb_wafs else None,
        "website_url": website_url,
        "report": report,
    }


def _waf_report(waf: dict | None) -> dict | None:
    """What the state file says of a WAF stand-in: its ACL and what of it is modelled."""
    if not waf:
        return None
    return {k: waf[k] for k in ("name", "crs", "engine", "modelled", "not_modelled")}


def _pick(paths: dict) -> dict:
    return {"cert": str(paths["cert"]), "key": str(paths["key"])}


# ---- nginx ----------------------------------------------------------------------------------------------


def write(directory: Path, decided: dict) -> Path:
    """Write nginx.conf, the njs modules and the ModSecurity rules; return nginx.conf's path (checked by nginx -t)."""
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(KeyError, PermissionError, LookupError):
        shutil.chown(directory / "tmp", *WORKER_USER)
    shutil.copyfile(TEMPLATES / "edge-cloudfront.js", directory / "edge-cloudfront.js")
    (directory / "edge-functions.js").write_text(edge_cloudfront.function_module(decided["functions"]))
    for waf in decided["wafs"]:
        (directory / f"waf-{waf['key']}.conf").write_text(edge_waf.modsecurity_conf(waf, str(directory)))
    conf = directory / "nginx.conf"
    text = render(decided["context"])
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the emulator's throwaway keys
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    check = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(conf), "-p", str(directory)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise SystemExit(f"dataplane edge: nginx refused {conf}:\n{check.stderr.strip()}")
    return conf


def alive(pid: int | None) -> bool:
    """Whether `pid` is a running nginx (not a recycled PID, not a zombie)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"nginx" in cmdline and stat.rsplit(")", 1)[1].split()[0] != "Z"


def _listening(address: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=timeout):
        return True
    return False


def _wait_for(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise SystemExit(f"dataplane edge: {what} within {timeout:.0f}s\n{tail}")
        time.sleep(0.1)


def serve(conf: Path, listeners: list[tuple[str, int]], pid: int | None = None, on_start=None) -> int:
    """Start nginx with `conf`, or reload the nginx `pid` when it runs; returns the master's PID.

    `on_start(pid)` is called as soon as a new master runs, before waiting for its listeners, so that
    the caller records it (and can stop it) even when the wait fails.
    """
    directory = conf.parent
    error_log = directory / "error.log"
    if alive(pid):
        before = error_log.read_text().count("start worker process") if error_log.exists() else 0
        os.kill(pid, signal.SIGHUP)
        _wait_for(
            lambda: error_log.exists() and error_log.read_text().count("start worker process") > before,
            30,
            "nginx did not reload",
            error_log,
        )
        return pid
    taken = [f"{a}:{p}" for a, p in listeners if _listening(a, p)]
    if taken:
        raise SystemExit(
            f"dataplane edge: {', '.join(taken)} already in use: an edge left running by an earlier run? "
            f"Stop it (its PID is in {directory / 'nginx.pid'}) and rerun."
        )
    with (directory / "nginx.out").open("ab") as out:
        proc = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(directory)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    if on_start:
        on_start(proc.pid)
    _wait_for(
        lambda: proc.poll() is None and all(_listening(a, p) for a, p in listeners),
        60,
        "nginx did not start listening",
        error_log,
    )
    return proc.pid


def stop(pid: int | None, grace: float = 10.0) -> None:
    """Stop the nginx master `pid` (TERM, then KILL after `grace` seconds); nothing when it is not one."""
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        if not alive(pid):
            break
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def listeners_of(context: dict) -> list[tuple[str, int]]:
    """Every address:port the configuration listens on."""
    found = []
    if context["distributions"]:
        found += [(context["address"], 80), (context["address"], 443)]
    for waf in context["alb_wafs"]:
        found += [(waf["address"], listener["port"]) for listener in waf["listeners"]]
    found += [(site["address"], 80) for site in context["websites"]]
    return sorted(set(found))


def publish(state, change) -> None:
    """Apply `change` to the state file and to `state`, under the state's lock where the data plane has one.

    The reconciler writes the same file about once a second (hosts, the load balancer's resolve entries).
    """
    patch = getattr(state_module, "patch", None)
    if patch is None:
        change(state)
        state.save()
        return
    current = patch(state.env, change)
    state.clear()
    state.update(current)


def up(state) -> None:
    """Serve the environment's edge (see the module docstring); safe to call again after any change.

    Besides its own listeners, the edge publishes in the state: the resolve entries of every name it
    serves and of the Route 53 records that point at a stand-in (replacing entries for the same host
    and port), "website_url", "edge" (what each stand-in models), and "alb_front": the address that
    answers for the load balancer's names when a web ACL sits in front of it (the WAF stand-in, which
    forwards to HAProxy), or null. Whoever writes the load balancer's entries uses alb_front when set.
    """
    started = time.monotonic()
    decided = plan(state)
    listeners = listeners_of(decided["context"])

    def change(current) -> None:
        current["resolve"] = edge_dns.merge(current.get("resolve") or [], decided["entries"])
        current["website_url"] = decided["website_url"] or current.get("website_url")
        current["edge"] = decided["report"]
        current["alb_front"] = decided["alb_front"]

    publish(state, change)
    if not listeners:
        down(state)
        say(f"nothing to serve for {state.env} (no distribution, web ACL in front of a load balancer, or S3 website)")
        return
    conf = write(state.dir / "edge", decided)
    pid = serve(
        conf,
        listeners,
        state["processes"].get("edge"),
        on_start=lambda pid: publish(state, lambda current: current["processes"].update(edge=pid)),
    )
    say(f"{state.env}: nginx {pid} serves {len(listeners)} listeners in {time.monotonic() - started:.1f}s")
    # What `make e2e-up` leaves a person with: how to browse the environment.
    print(browse(state), file=sys.stderr, flush=True)


def down(state) -> None:
    """Stop the edge's nginx (by its PID) and forget it; nothing else of the data plane is touched."""
    pid = state["processes"].get("edge")
    stop(pid)

    def change(current) -> None:
        current["processes"].pop("edge", None)
        current["alb_front"] = None

    publish(state, change)


# ---- how a person browses ----------------------------------------------------------------------------


def spki_hash(ca_pem: Path) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of the CA: Chromium's --ignore-certificate-errors-spki-list value."""
    cert = x509.load_pem_x509_certificate(Path(ca_pem).read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def host_resolver_rules(resolve: list[str]) -> str:
    """Chromium's --host-resolver-rules for the resolve entries; every other name fails to resolve."""
    rules = []
    for entry in resolve:
        host, _port, address = entry.rsplit(":", 2)
        rule = f"MAP {host} {address}"
        if rule not in rules:
            rules.append(rule)
    return ", ".join([*rules, "MAP * ~NOTFOUND"])


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_args(state, user_data_dir: str) -> list[str]:
    """Chromium's flags for this data plane: the resolve entries as resolver rules, the local CA trusted by its key."""
    return [
        *CHROMIUM_FLAGS,
        f"--user-data-dir={user_data_dir}",
        f"--host-resolver-rules={host_resolver_rules(state['resolve'])}",
        f"--ignore-certificate-errors-spki-list={spki_hash(state['ca_bundle'])}",
    ]


def browse(state) -> str:
    """How a person reaches the site: the URL, the CA to trust, the resolve entries, a ready Chromium command."""
    import shlex  # noqa: PLC0415

    url = state.get("website_url") or state.get("api_url") or ""
    curl = " ".join(f"--resolve {shlex.quote(e)}" for e in state["resolve"])
    chromium = shlex.join(
        ["chromium", *chromium_args(state, "/tmp/webstack-browse"), "--screenshot=/tmp/webstack.png", url]
    )
    chromium_gui = shlex.join(
        ["chromium", *[a for a in chromium_args(state, "/tmp/webstack-browse") if a != "--headless"], url]
    )
    return "\n".join(
        [
            f"{state.env}: the site is {url or '(no website)'}; the API is {state.get('api_url') or '(none)'}",
            f"  CA to trust:      {state['ca_bundle']}",
            "  resolve entries:  " + (", ".join(state["resolve"]) or "(none)"),
            f"  curl:             curl --cacert {shlex.quote(str(state['ca_bundle']))} {curl} {url}",
            f"  Chromium (headless, a screenshot): {chromium}",
            f"  Chromium (a window, as root):      {chromium_gui}",
        ]
    )
