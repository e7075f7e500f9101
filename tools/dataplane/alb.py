"""The load balancer stand-in: HAProxy (Debian's), configured from the emulator's ELBv2 resources.

From the emulator: the environment's load balancers, their listeners (port, protocol, certificate,
TLS policy), the listeners' rules in priority order (host-header, path-pattern, http-header and
http-request-method conditions; forward, redirect and fixed-response actions, and the default
action), and each target group's health check (path, interval, timeout, thresholds, matcher) and
deregistration delay. The targets are the instances as they are registered.

What HAProxy does as the ALB does:
- a listener binds the environment's loopback address (addresses.py) on its own port; HTTPS serves
  a certificate of the local CA for the ACM certificate's names, with the policy's minimum TLS version;
- rules run in priority order, the first match wins, then the default action;
- a registered target gets traffic only once it passed `healthy threshold` checks in a row, and loses
  it after `unhealthy threshold` failures; a deregistered target drains: no new requests, the ones in
  flight finish, and it is removed after the deregistration delay;
- X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Port reach the targets; failed connections to a
  target are not retried elsewhere (the client gets a 503, where the ALB says 502).

What HAProxy sees of each target goes back to the emulator's target health (report()), so that the
instance refresh and validation read real health.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import ca
from .state import State

HAPROXY = "/usr/sbin/haproxy"


@dataclass
class TargetGroup:
    arn: str
    name: str
    port: int
    path: str
    interval: int
    timeout: int
    healthy: int
    unhealthy: int
    matcher: str
    deregistration_delay: int
    targets: dict[str, tuple[str, int]] = field(default_factory=dict)  # server name -> (ip, port)

    @property
    def backend(self) -> str:
        return "tg-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)


@dataclass
class Listener:
    port: int
    protocol: str
    certificate_arn: str | None
    ssl_policy: str | None
    rules: list[dict]  # {"priority", "conditions", "actions"}
    default_actions: list[dict]


@dataclass
class Model:
    load_balancers: list[dict]  # {"arn", "dns_name"}
    listeners: list[Listener]
    target_groups: dict[str, TargetGroup]  # arn -> group


# ---------------------------------------------------------------- reading the emulator


def _tags(elbv2, arns: list[str]) -> dict[str, dict[str, str]]:
    found = {}
    for i in range(0, len(arns), 20):
        for desc in elbv2.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            found[desc["ResourceArn"]] = {t["Key"]: t["Value"] for t in desc.get("Tags", [])}
    return found


def read_model(elbv2, ec2_ips: dict[str, str], state: State) -> Model:
    """The environment's load balancers as the emulator holds them (ec2_ips: instance id -> private IP)."""
    lbs = [
        lb
        for page in elbv2.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
        if lb.get("Type", "application") == "application"
    ]
    tags = _tags(elbv2, [lb["LoadBalancerArn"] for lb in lbs]) if lbs else {}
    mine = [
        lb
        for lb in lbs
        if tags.get(lb["LoadBalancerArn"], {}).get("Environment") == state.env
        and tags.get(lb["LoadBalancerArn"], {}).get("ManagedBy") == "illustra.webstack"
    ]
    listeners, groups = [], {}
    for lb in mine:
        for tg in elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
            groups[tg["TargetGroupArn"]] = _target_group(elbv2, tg, ec2_ips)
        for item in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            rules = [
                {"priority": int(r["Priority"]), "conditions": r.get("Conditions", []), "actions": r["Actions"]}
                for r in elbv2.describe_rules(ListenerArn=item["ListenerArn"])["Rules"]
                if not r.get("IsDefault") and r.get("Priority") not in (None, "default")
            ]
            certs = item.get("Certificates") or []
            listeners.append(
                Listener(
                    port=int(item["Port"]),
                    protocol=item["Protocol"],
                    certificate_arn=certs[0]["CertificateArn"] if certs else None,
                    ssl_policy=item.get("SslPolicy"),
                    rules=sorted(rules, key=lambda r: r["priority"]),
                    default_actions=item["DefaultActions"],
                )
            )
    return Model(
        load_balancers=[{"arn": lb["LoadBalancerArn"], "dns_name": lb["DNSName"]} for lb in mine],
        listeners=listeners,
        target_groups=groups,
    )


def _target_group(elbv2, tg: dict, ec2_ips: dict[str, str]) -> TargetGroup:
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]
    }
    group = TargetGroup(
        arn=tg["TargetGroupArn"],
        name=tg["TargetGroupName"],
        port=int(tg.get("Port") or 80),
        path=tg.get("HealthCheckPath") or "/",
        interval=int(tg.get("HealthCheckIntervalSeconds") or 30),
        timeout=int(tg.get("HealthCheckTimeoutSeconds") or 5),
        healthy=int(tg.get("HealthyThresholdCount") or 5),
        unhealthy=int(tg.get("UnhealthyThresholdCount") or 2),
        matcher=(tg.get("Matcher") or {}).get("HttpCode") or "200",
        deregistration_delay=int(attributes.get("deregistration_delay.timeout_seconds", 300)),
    )
    for desc in elbv2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]:
        target = desc["Target"]
        ip = ec2_ips.get(target["Id"], target["Id"] if re.match(r"^\d+\.\d+\.\d+\.\d+$", target["Id"]) else None)
        if ip is None:
            continue  # an instance that is not running (yet): nothing to send traffic to
        port = int(target.get("Port") or group.port)
        group.targets[f"{target['Id']}-{port}"] = (ip, port)
    return group


# ---------------------------------------------------------------- HAProxy configuration


def min_tls(policy: str | None) -> str:
    """The oldest TLS version an ELB security policy accepts."""
    if not policy:
        return "TLSv1.2"
    if "TLS13-1-3" in policy:
        return "TLSv1.3"
    if "TLS13-1-2" in policy or "TLS-1-2" in policy:
        return "TLSv1.2"
    if "TLS-1-1" in policy or "TLS13-1-1" in policy:
        return "TLSv1.1"
    return "TLSv1.0"


def wildcard_regex(value: str) -> str:
    """An ALB condition value (`*` any characters, `?` one) as an anchored regular expression."""
    return "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value) + "$"


def _quote(text: str) -> str:
    """A double-quoted HAProxy word: backslash, quote and `$` (environment variables) escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _condition(name: str, condition: dict) -> list[str]:
    """ACL lines (one per value: HAProxy ORs them, as the ALB does) for one rule condition."""
    field_name = condition["Field"]
    if field_name == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values", [])
        fetch, flags = "req.hdr(host),field(1,:)", "-i"
    elif field_name == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values", [])
        fetch, flags = "path", ""
    elif field_name == "http-header":
        config = condition["HttpHeaderConfig"]
        values, fetch, flags = config["Values"], f"req.hdr({config['HttpHeaderName']})", "-i"
    elif field_name == "http-request-method":
        values = condition["HttpRequestMethodConfig"]["Values"]
        fetch, flags = "method", ""
    else:
        raise ValueError(f"the load balancer stand-in does not model {field_name} conditions")
    flags = f" {flags}" if flags else ""
    return [f"    acl {name} {fetch} -m reg{flags} {_quote(wildcard_regex(v))}" for v in values]


def _action_lines(action: dict, model: Model, condition: str) -> list[str]:
    kind = action["Type"]
    suffix = f" if {condition}" if condition else ""
    if kind == "forward":
        arn = action.get("TargetGroupArn") or action["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
        backend = model.target_groups[arn].backend
        return [f"    use_backend {backend}{suffix}"] if condition else [f"    default_backend {backend}"]
    if kind == "fixed-response":
        config = action["FixedResponseConfig"]
        body = config.get("MessageBody") or ""
        content = (
            f" content-type {_quote(config.get('ContentType') or 'text/plain')} string {_quote(body)}" if body else ""
        )
        return [f"    http-request return status {config['StatusCode']}{content}{suffix}"]
    if kind == "redirect":
        config = action["RedirectConfig"]
        code = int(str(config.get("StatusCode", "HTTP_301")).replace("HTTP_", ""))
        scheme = config.get("Protocol", "#{protocol}").lower()
        port = config.get("Port", "#{port}")
        if scheme == "#{protocol}":
            raise ValueError("the load balancer stand-in models redirects that name their protocol")
        default_port = {"https": "443", "http": "80"}[scheme]
        if port in ("#{port}", default_port) and config.get("Host", "#{host}") == "#{host}":
            return [f"    http-request redirect scheme {scheme} code {code}{suffix}"]
        host = "%[req.hdr(host),field(1,:)]" if config.get("Host", "#{host}") == "#{host}" else config["Host"]
        location = f"{scheme}://{host}{'' if port == default_port else ':' + port}%[capture.req.uri]"
        return [f"    http-request redirect location {location} code {code}{suffix}"]
    raise ValueError(f"the load balancer stand-in does not model {kind} actions")


def _matcher(code: str) -> str:
    """The target group's success codes ("200", "200,302", "200-299") as an `http-check expect rstatus`."""
    parts = []
    for piece in code.split(","):
        if "-" in piece:
            low, high = (int(x) for x in piece.split("-"))
            parts += [str(c) for c in range(low, high + 1)]
        else:
            parts.append(piece.strip())
    return "^(" + "|".join(parts) + ")$"


def config(
    model: Model,
    state: State,
    socket_path: Path,
    pem: dict[int, Path],
    servers: dict[str, list[str]] | None = None,
    state_file: Path | None = None,
) -> str:
    """HAProxy's configuration. `servers` (backend -> `server` lines) and `state_file` (a `show servers state`
    dump) carry the running servers and their health across a restart; without them, the backends start empty
    and targets come and go through the runtime API."""
    address = state.address("alb")
    lines = [
        "# Generated by tools/dataplane/alb.py from the emulator's load balancer: do not edit.",
        "global",
        f"    stats socket {socket_path} mode 600 level admin expose-fd listeners",
        "    hard-stop-after 5m",
        "    log stderr format short local0 notice",
        *([f"    server-state-file {state_file}"] if state_file else []),
        "defaults",
        *(["    load-server-state-from-file global"] if state_file else []),
        "    mode http",
        "    log global",
        "    option httplog",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 60s",
        # The ALB does not retry a request on another target when the connection to one fails.
        "    retries 0",
        "",
    ]
    for listener in model.listeners:
        ssl = ""
        if listener.protocol == "HTTPS":
            ssl = f" ssl crt {pem[listener.port]} ssl-min-ver {min_tls(listener.ssl_policy)} alpn http/1.1"
        lines += [
            f"frontend listener-{listener.port}",
            f"    bind {address}:{listener.port}{ssl}",
            "    option forwardfor",
            f"    http-request set-header X-Forwarded-Proto {listener.protocol.lower()}",
            f"    http-request set-header X-Forwarded-Port {listener.port}",
        ]
        # Rules in priority order, the first match wins: each rule's number goes into txn.rule.
        actions = []
        for rule in listener.rules:
            names = [f"r{rule['priority']}c{i}" for i in range(len(rule["conditions"]))]
            for name, condition in zip(names, rule["conditions"], strict=True):
                lines += _condition(name, condition)
            lines.append(
                f"    http-request set-var(txn.rule) int({rule['priority']}) if !{{ var(txn.rule) -m found }} "
                + " ".join(names)
            )
            actions.append((rule, f"{{ var(txn.rule) -m int {rule['priority']} }}"))
        for rule, condition in actions:
            lines += _action_lines(rule["actions"][-1], model, condition)
        default = listener.default_actions[-1]
        if default["Type"] == "forward":
            lines += _action_lines(default, model, "")
        else:
            lines += _action_lines(default, model, "!{ var(txn.rule) -m found }")
        lines.append("")
    for group in model.target_groups.values():
        lines += [
            f"backend {group.backend}",
            "    balance roundrobin",
            "    option httpchk",
            f"    http-check send meth GET uri {group.path} ver HTTP/1.1 hdr Host elb-healthcheck hdr User-Agent ELB-HealthChecker/2.0",
            f"    http-check expect rstatus {_matcher(group.matcher)}",
            f"    timeout check {group.timeout}s",
            *(servers or {}).get(group.backend, []),
            "",
        ]
    return "\n".join(lines) + "\n"


def server_options(group: TargetGroup) -> str:
    """A target's health check as the target group sets it (interval, thresholds)."""
    return f"check inter {group.interval}s fall {group.unhealthy} rise {group.healthy}"


def _backends(model: Model) -> set[str]:
    return {group.backend for group in model.target_groups.values()}


# ---------------------------------------------------------------- the running HAProxy


class Haproxy:
    """HAProxy in master-worker mode; targets come and go through its runtime API (no reload)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.dir = state.dir / "haproxy"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cfg = self.dir / "haproxy.cfg"
        self.pidfile = self.dir / "haproxy.pid"
        self.sock = self.dir / "admin.sock"
        self.log = self.dir / "haproxy.log"
        # The running servers' state (`show servers state`), loaded by the next process when HAProxy restarts.
        self.state_file = self.dir / "server-state"
        # (backend, server) -> {"group": arn, "address": "ip:port", "added": t, "seen_up": bool,
        #                       "draining_since": t | None}
        self.servers: dict[tuple[str, str], dict] = {}

    # -- process

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            Path(f"/proc/{pid}").stat()
        except OSError:
            return None
        return pid

    def apply(self, model: Model) -> bool:
        """Write the configuration and (re)start HAProxy when it changed; returns whether it did."""
        pem = {}
        for listener in model.listeners:
            if listener.protocol == "HTTPS":
                if not listener.certificate_arn:
                    raise ValueError(f"HTTPS listener on port {listener.port} has no certificate")
                pem[listener.port] = self.certificate(listener.certificate_arn)
        # The configuration without servers decides whether HAProxy restarts (targets change at runtime).
        text = config(model, self.state, self.sock, pem)
        old = self.pid()
        self.adopt(model)
        if self.cfg.exists() and self.cfg.read_text() == text and old:
            return False
        # The new process starts with the servers of the old one and their health (UP, DOWN, draining), as the
        # ALB keeps its targets' health through a change of listeners: a server-state dump, servers in the file.
        self.state_file.unlink(missing_ok=True)
        if old and self.servers:
            self.state_file.write_text(self.command("show servers state"))
        keep = [(key, known) for key, known in self.servers.items() if key[0] in _backends(model)]
        servers: dict[str, list[str]] = {}
        for (backend, name), known in keep:
            group = model.target_groups[known["group"]]
            servers.setdefault(backend, []).append(f"    server {name} {known['address']} {server_options(group)}")
        self.servers = dict(keep)
        run = self.dir / "haproxy.run.cfg"
        tmp = run.with_suffix(".new")
        state_file = self.state_file if self.state_file.exists() else None
        tmp.write_text(config(model, self.state, self.sock, pem, servers, state_file))
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", str(tmp)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused the generated configuration: {check.stdout}{check.stderr}")
        tmp.replace(run)
        self.cfg.write_text(text)
        cmd = [HAPROXY, "-D", "-f", str(run), "-p", str(self.pidfile)]
        if old:
            cmd += ["-x", str(self.sock), "-sf", str(old)]
        with self.log.open("a") as out:
            subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=60)
        return True

    def adopt(self, model: Model) -> None:
        """Take over the servers a running HAProxy already has (the reconciler restarted): their health stays.

        Adding them again would force each one down until it passed `healthy threshold` checks again: every
        target out of service for that long, the API down, although nothing changed on the load balancer.
        """
        if self.servers or not self.pid():
            return
        groups = {group.backend: group for group in model.target_groups.values()}
        now = time.monotonic()
        for (backend, name), row in self.stats().items():
            group = groups.get(backend)
            if group is None or not row.get("addr"):
                continue
            status = row.get("status", "")
            self.servers[(backend, name)] = {
                "group": group.arn,
                "address": row["addr"],
                # Its first checks are behind it: a server that is down now is unhealthy, not initial.
                "added": now - group.interval * group.unhealthy,
                "seen_up": status.startswith(("UP", "DRAIN", "NOLB")),
                # Draining (or on its way out): the drain starts over with the full deregistration delay.
                "draining_since": now if status.startswith(("DRAIN", "MAINT")) else None,
            }

    def certificate(self, certificate_arn: str) -> Path:
        import boto3  # noqa: PLC0415

        acm = boto3.client("acm", region_name=certificate_arn.split(":")[3])
        return ca.issue(self.state.dir, ca.acm_names(acm, certificate_arn))["pem"]

    def stop(self) -> None:
        pid = self.pid()
        if pid:
            subprocess.run(["kill", str(pid)], check=False)

    # -- runtime API

    def command(self, line: str, timeout: float = 10) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.sock))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode()

    def stats(self) -> dict[tuple[str, str], dict]:
        """(backend, server) -> HAProxy's row of `show stat` (status, check_status, ...)."""
        text = self.command("show stat")
        lines = [line for line in text.splitlines() if line]
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        rows = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("svname") not in ("FRONTEND", "BACKEND"):
                rows[(row["pxname"], row["svname"])] = row
        return rows

    def sync(self, model: Model) -> None:
        """Registered targets become servers (checked before they get traffic); deregistered ones drain."""
        now = time.monotonic()
        wanted = {
            (group.backend, name): (group, ip, port)
            for group in model.target_groups.values()
            for name, (ip, port) in group.targets.items()
        }
        for key, (group, ip, port) in wanted.items():
            known = self.servers.get(key)
            if known and known["draining_since"] is None:
                continue
            backend, name = key
            if known:  # registered again while draining
                self.command(f"set server {backend}/{name} state ready")
                known["draining_since"] = None
                continue
            # A new server leaves maintenance as UP; forced DOWN in the same command line (and with no weight
            # until then), it gets traffic only once it passed `healthy threshold` checks (ALB: "initial").
            out = self.command(f"add server {backend}/{name} {ip}:{port} {server_options(group)} weight 0")
            if "New server registered" not in out:
                raise RuntimeError(f"haproxy: add server {backend}/{name}: {out.strip()}")
            self.command(f"enable health {backend}/{name}")
            self.command(f"enable server {backend}/{name}; set server {backend}/{name} health down")
            self.command(f"set server {backend}/{name} weight 1")
            self.servers[key] = {
                "group": group.arn,
                "address": f"{ip}:{port}",
                "added": now,
                "seen_up": False,
                "draining_since": None,
            }
        for key, known in list(self.servers.items()):
            if key in wanted:
                continue
            backend, name = key
            group = model.target_groups.get(known["group"])
            delay = group.deregistration_delay if group else 0
            if known["draining_since"] is None:
                self.command(f"set server {backend}/{name} state drain")
                known["draining_since"] = now
            if now - known["draining_since"] >= delay:
                self.command(f"set server {backend}/{name} state maint")
                self.command(f"shutdown sessions server {backend}/{name}")
                self.command(f"del server {backend}/{name}")
                del self.servers[key]

    def health(self, model: Model) -> dict[str, list[dict]]:
        """Target group ARN -> the targets' health as the ALB would report it, from what HAProxy sees."""
        rows = self.stats()
        report: dict[str, list[dict]] = {arn: [] for arn in model.target_groups}
        now = time.monotonic()
        for (backend, name), known in self.servers.items():
            group = model.target_groups.get(known["group"])
            row = rows.get((backend, name))
            if group is None or row is None:
                continue
            instance_id, port = name.rsplit("-", 1)
            status = row.get("status", "")
            check = row.get("check_status", "")
            if status.startswith("UP"):
                known["seen_up"] = True
            if known["draining_since"] is not None:
                entry = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
            elif status.startswith("UP"):
                entry = ("healthy", "", "")
            elif not known["seen_up"] and now - known["added"] < group.interval * group.unhealthy:
                entry = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
            elif check.startswith("L7STS"):
                entry = (
                    "unhealthy",
                    "Target.ResponseCodeMismatch",
                    f"Health checks failed with these codes: [{row.get('check_code', '')}]",
                )
            elif "TOUT" in check:
                entry = ("unhealthy", "Target.Timeout", "Request timed out")
            else:
                entry = ("unhealthy", "Target.FailedHealthChecks", "Health checks failed")
            state, reason, description = entry
            target = {"Id": instance_id, "Port": int(port), "State": state}
            if reason:
                target.update(Reason=reason, Description=description)
            report[known["group"]].append(target)
        return report


def report(endpoint: str, health: dict[str, list[dict]]) -> bool:
    """Tell the emulator what HAProxy sees (its target-health hook); False when it has no such hook."""
    ok = True
    for arn, targets in health.items():
        body = json.dumps({"TargetGroupArn": arn, "Targets": targets}).encode()
        req = urllib.request.Request(
            f"{endpoint}/moto-api/webstack/target-health",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                ok &= resp.status == 200
        except OSError:
            ok = False
    return ok
