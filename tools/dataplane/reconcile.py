"""The reconciler: keeps the data plane in step with the emulator, about once a second, until stopped.

- instances that start running become containers booted from their user data (hosts.py), in
  parallel; instances that stop running lose theirs;
- the load balancers' listeners, rules and target groups configure HAProxy, their registrations
  become its servers (alb.py), and what HAProxy sees of each target goes to the emulator's target
  health;
- the state file gets the hosts, the load balancer's resolve entries (its DNS name and the Route 53
  names that alias it) and the API's URL; per instance, when its container started, when its user
  data ended and when it first became healthy (the boot time measurement).

`python tools/dataplane reconcile --env ENV` runs it in the foreground; `up` starts it detached and
`down` stops it by PID. Errors are logged and retried on the next pass; the log is <dir>/reconcile.log.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from . import alb, hosts, image, podman
from .runner import emulator
from .state import State, patch

PASS_SECONDS = 1.0
ROUTE53_EVERY = 5.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Reconciler:
    def __init__(self, env: str) -> None:
        import boto3  # noqa: PLC0415

        self.state = State.load(env)
        self.env = env
        os.environ.update(emulator.client_env(self.state["emulator"], base={}))
        region = os.environ["AWS_REGION"]
        self.ec2 = boto3.client("ec2", region_name=region)
        self.elbv2 = boto3.client("elbv2", region_name=region)
        self.route53 = boto3.client("route53", region_name=region)
        self.haproxy = alb.Haproxy(self.state)
        self.boots: dict[str, threading.Thread] = {}
        self.removals: dict[str, threading.Thread] = {}
        self.boot_facts: dict[str, dict] = dict(self.state.get("boots") or {})
        self.aliases: list[str] = []
        self.aliases_at = 0.0
        self.stopping = False
        self.log = (self.state.dir / "reconcile.log").open("a", buffering=1)

    def say(self, text: str) -> None:
        self.log.write(f"{_now()} {text}\n")

    # -- hosts

    def _boot(self, instance: hosts.Instance) -> None:
        facts = self.boot_facts[instance.id] = {}
        facts.update(container_started=_now(), private_ip=instance.private_ip, group=instance.group)
        try:
            hosts.boot(self.state, instance, image.IMAGE)
            self.say(f"booted {instance.id} ({instance.private_ip}); user data running")
        except Exception as exc:  # a host that fails to boot must not stop the others; the next pass retries
            facts["error"] = str(exc)
            self.say(f"boot of {instance.id} failed: {exc}")
            hosts.remove(instance.id)

    def _remove(self, name: str) -> None:
        hosts.remove(name)
        self.say(f"removed {name} (its instance stopped running)")

    def hosts_pass(self, live: dict[str, hosts.Instance]) -> None:
        found = podman.containers(self.env)
        containers = {c["name"] for c in found}
        # An instance launched on the address of one that just terminated boots once that container is gone.
        held = {c["labels"].get("webstack.ip") for c in found if c["name"] not in live}
        for name in containers - set(live):
            if name in self.boots or (name in self.removals and self.removals[name].is_alive()):
                continue
            thread = threading.Thread(target=self._remove, args=(name,), daemon=True)
            self.removals[name] = thread
            thread.start()
        for iid, instance in live.items():
            if iid in containers or iid in self.boots or instance.private_ip in held:
                continue
            instance.user_data = hosts.user_data(self.ec2, iid)
            thread = threading.Thread(target=self._boot, args=(instance,), daemon=True)
            self.boots[iid] = thread
            thread.start()
        for iid, thread in list(self.boots.items()):
            if not thread.is_alive():
                del self.boots[iid]
        for iid, facts in self.boot_facts.items():
            if iid in live and iid in containers and facts.get("user_data") in (None, "running"):
                result = hosts.user_data_result(iid)
                if result in ("done", "failed"):
                    facts.update(user_data=result, user_data_ended=_now())
                    started = next(
                        (line.split()[-1] for line in hosts.boot_log(iid).splitlines() if "bootstrap start" in line),
                        None,
                    )
                    facts["user_data_started"] = started
                elif result:
                    facts["user_data"] = result

    # -- load balancer

    def route53_aliases(self, dns_names: set[str]) -> list[str]:
        """Record names of the emulator's zones that alias one of these load balancer names."""
        if time.monotonic() - self.aliases_at < ROUTE53_EVERY:
            return self.aliases
        names = []
        for zone in self.route53.list_hosted_zones()["HostedZones"]:
            pages = self.route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone["Id"])
            for page in pages:
                for record in page["ResourceRecordSets"]:
                    target = (record.get("AliasTarget") or {}).get("DNSName", "").lower().rstrip(".")
                    target = target.removeprefix("dualstack.")
                    if target in dns_names:
                        names.append(record["Name"].rstrip("."))
        self.aliases, self.aliases_at = sorted(set(names)), time.monotonic()
        return self.aliases

    def alb_pass(self, live: dict[str, hosts.Instance]) -> dict:
        ips = {iid: instance.private_ip for iid, instance in live.items()}
        model = alb.read_model(self.elbv2, ips, self.state)
        if not model.listeners:
            return {"resolve": [], "api_url": None}
        if self.haproxy.apply(model):
            self.say("haproxy (re)configured from the emulator's listeners, rules and target groups")
        self.haproxy.sync(model)
        health = self.haproxy.health(model)
        for targets in health.values():
            for target in targets:
                facts = self.boot_facts.get(target["Id"])
                if facts is not None and target["State"] == "healthy" and not facts.get("healthy_at"):
                    facts["healthy_at"] = _now()
        alb.report(self.state["emulator"], health)
        dns_names = {lb["dns_name"].lower() for lb in model.load_balancers}
        aliases = self.route53_aliases(dns_names)
        address = self.state.address("alb")
        resolve = [
            f"{name}:{listener.port}:{address}" for name in sorted(dns_names) + aliases for listener in model.listeners
        ]
        https = any(listener.protocol == "HTTPS" for listener in model.listeners)
        api_url = f"https://{aliases[0]}/api" if https and aliases else f"http://{sorted(dns_names)[0]}/api"
        return {"resolve": resolve, "api_url": api_url, "health": health}

    # -- the loop

    def publish(self, live: dict[str, hosts.Instance], lb: dict) -> None:
        address = self.state.address("alb")
        hosts_map = {iid: iid for iid in live}
        pid = self.haproxy.pid()

        def change(current: State) -> None:
            current["hosts"] = hosts_map
            current["api_url"] = lb["api_url"]
            # The load balancer's names, unless another stand-in answers for them first (the edge's WAF in
            # front of the load balancer, when it has a web ACL).
            others = [e for e in current["resolve"] if not e.endswith(f":{address}")]
            taken = {e.rsplit(":", 1)[0] for e in others}
            current["resolve"] = others + [e for e in lb["resolve"] if e.rsplit(":", 1)[0] not in taken]
            current["boots"] = self.boot_facts
            current["target_health"] = lb.get("health", {})
            if pid:
                current["processes"]["haproxy"] = pid

        self.write_inventory(hosts_map)
        updated = patch(self.env, change)
        self.state.update({k: updated[k] for k in ("resolve", "api_url", "hosts")})

    def write_inventory(self, hosts_map: dict[str, str]) -> None:
        """The SSM connection's stand-in: an inventory that reaches each instance as its container.

        Given after the environment's own inventory (-i inventories/<env> -i this), its host variables win over
        the aws_ec2 inventory's compose (amazon.aws.aws_ssm): the same hosts and groups, reached by podman exec.
        """
        lines = [
            "# Written by tools/dataplane/reconcile.py: each instance is reached as its container.",
            "all:",
            "  hosts:",
        ]
        session = self.ssm_session()
        lines += [
            f"    {iid}:\n      ansible_connection: containers.podman.podman\n      ansible_host: {name}"
            f"\n      ansible_podman_executable: {session}"
            for iid, name in sorted(hosts_map.items())
        ]
        if not hosts_map:
            lines[-1] = "  hosts: {}"
        text = "\n".join(lines) + "\n"
        target = self.state.dir / "inventory.yml"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)

    def ssm_session(self) -> Path:
        """podman, with the instance profile's environment for `exec`: an SSM agent's commands get it on AWS."""
        pairs = " ".join(f"--env {k}={v}" for k, v in sorted(hosts.instance_values(self.state).items()))
        script = self.state.dir / "ssm-session"
        text = (
            "#!/bin/sh\n"
            "# The SSM connection's stand-in (tools/dataplane/reconcile.py): podman exec with the instance's AWS.\n"
            f'if [ "$1" = exec ]; then shift; exec podman exec {pairs} "$@"; fi\n'
            'exec podman "$@"\n'
        )
        if not script.exists() or script.read_text() != text:
            script.write_text(text)
            script.chmod(0o755)
        return script

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "stopping", True))
        self.say(f"reconciling {self.env} against {self.state['emulator']}")
        while not self.stopping:
            started = time.monotonic()
            try:
                live = hosts.instances(self.ec2, self.state)
                self.hosts_pass(live)
                lb = self.alb_pass(live)
                self.publish(live, lb)
            except Exception:  # the emulator restarting, a container going away mid-call: next pass
                self.say("pass failed:\n" + traceback.format_exc())
            time.sleep(max(0.0, PASS_SECONDS - (time.monotonic() - started)))
        self.haproxy.stop()
        self.say("stopped")


def main(env: str) -> int:
    Reconciler(env).run()
    return 0
