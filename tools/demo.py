#!/usr/bin/env python3
"""`make demo`: dev, staging and prod built in turn on the local AWS emulator, then a summary.

Run under `tools/emulator.py run --` (the Makefile does). For each environment: site.yml (preflight,
infrastructure, website deploy, validation), then the outputs every role published are read back
and summarised. What was created, the estimated monthly cost against the budget, audit findings
and endpoints. A Markdown report with an architecture diagram drawn from what was actually
deployed goes to reports/demo.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
ENVIRONMENTS = ("dev", "staging", "prod")
BOLD, DIM, GREEN, RED, RESET = (
    ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m") if sys.stdout.isatty() else ("",) * 5
)


def say(text: str = "") -> None:
    print(text, flush=True)


def run_site(env: str) -> tuple[int, float]:
    """site.yml for one environment; progress lines stream to the terminal."""
    cmd = [
        str(ROOT / ".venv" / "bin" / "ansible-playbook"),
        str(ROOT / "playbooks" / "site.yml"),
        "-i",
        str(ROOT / "inventories" / env),
        "-e",
        json.dumps(
            {
                "webstack_confirm": env,
                "webstack_report": True,
                "webstack_report_dir": str(REPORTS),
                "validate_report_dir": str(REPORTS),
                # The example React build, deployed as a release of its own.
                "website_build_dir": str(ROOT / "examples" / "frontend" / "build"),
                # The emulator serves no CloudFront or ALB traffic: HTTP gates are off, the audit and
                # cost gates run (tests/integration/test_health_check.py covers HTTP on real servers).
                "validate_http_gates": False,
                # dev uses MongoDB Atlas; a placeholder connection string stands in for the vault's.
                "mongodb_atlas_uri": "mongodb+srv://demo:demo@cluster0.example.mongodb.net/illustra",
            }
        ),
    ]
    env_vars = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    started = time.monotonic()
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env_vars, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        log = (REPORTS / f"{env}-site.log").open("w")
        for line in proc.stdout:
            log.write(line)
            if line.startswith("TASK ["):
                say(f"  {DIM}{line[6:].split(']')[0]}{RESET}")
            elif line.startswith(("fatal:", "failed:")) or "ERROR!" in line:
                say(f"  {RED}{line.rstrip()[:300]}{RESET}")
        log.close()
    return proc.returncode, time.monotonic() - started


def load_outputs(env: str) -> dict:
    path = REPORTS / f"{env}-outputs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def created(outputs: dict) -> list[str]:
    """One line per role that published something: its most telling ids."""
    lines = []
    for key, value in sorted(outputs.items()):
        if not isinstance(value, dict) or not value or key == "preflight__output":
            continue
        role = key.removesuffix("__output")
        facts = [f"{k}={v}" for k, v in value.items() if isinstance(v, (str, int)) and v not in ("", None)][:4]
        lines.append(f"{role}: " + (", ".join(facts) if facts else "ok"))
    return lines


def endpoints(outputs: dict) -> dict:
    found = {}
    s3 = outputs.get("frontend_s3__output") or {}
    cdn = outputs.get("cloudfront__output") or {}
    alb = outputs.get("alb__output") or {}
    dns = outputs.get("dns__output") or {}
    if cdn.get("domain_name"):
        found["website"] = f"https://{cdn['domain_name']}"
    elif s3.get("website_endpoint"):
        found["website"] = f"http://{s3['website_endpoint']}"
    if alb.get("dns_name"):
        found["api"] = ("https://" if alb.get("https_enabled") else "http://") + alb["dns_name"]
    for name in dns.get("records", []) if isinstance(dns.get("records"), list) else []:
        found.setdefault("domain", name)
    return found


def cost(outputs: dict) -> dict:
    return (outputs.get("preflight__output") or {}).get("cost") or {}


def audit(env: str) -> dict:
    """The validation report validate.yml wrote: every gate's verdict and the audit findings."""
    path = REPORTS / f"validate-{env}.json"
    if not path.exists():
        return {}
    report = json.loads(path.read_text())
    findings = (report.get("audit") or {}).get("findings", [])
    by_severity = {}
    for finding in findings:
        by_severity[finding.get("severity", "?")] = by_severity.get(finding.get("severity", "?"), 0) + 1
    words = {"ok": "ok", "failed": "FAILED", "skipped": "skipped"}
    gates = ", ".join(f"{g['gate']} {words.get(g.get('status'), g.get('status'))}" for g in report.get("gates", []))
    return {"summary": f"{gates}; findings {by_severity or 'none'}", "findings": findings}


def diagram(env: str, outputs: dict) -> str:
    """A Mermaid diagram of what was deployed, built from the published outputs."""
    lines = ["```mermaid", "graph LR", "  users((users))"]
    cdn, s3 = outputs.get("cloudfront__output") or {}, outputs.get("frontend_s3__output") or {}
    alb, asg = outputs.get("alb__output") or {}, outputs.get("asg__output") or {}
    waf, dns = outputs.get("waf__output") or {}, outputs.get("dns__output") or {}
    mongo, vpc = outputs.get("mongodb__output") or {}, outputs.get("vpc__output") or {}
    entry = "users"
    if dns:
        lines.append(f"  dns[Route 53 {dns.get('zone_name', '')}]")
        lines.append("  users --> dns")
        entry = "dns"
    if s3:
        lines.append(f"  s3[(S3 {s3.get('bucket_name', '')})]")
    if cdn:
        lines.append(f"  cdn[CloudFront {cdn.get('distribution_id', '')}]")
        lines.append(f"  {entry} --> cdn --> s3")
        if waf:
            lines.append("  waf{{WAF}} -.-> cdn")
    elif s3:
        lines.append(f"  {entry} -->|S3 website, flagged| s3")
    if alb:
        lines.append(f"  alb[ALB {alb.get('dns_name', '')}]")
        lines.append(f"  {'cdn' if cdn else entry} -->|/api| alb")
        if waf:
            lines.append("  waf -.-> alb")
    if asg:
        lines.append(f"  asg[[EC2 {asg.get('name', asg.get('asg_name', 'backend'))}]]")
        lines.append(f"  {'alb' if alb else entry} --> asg")
    if mongo:
        lines.append(f"  db[(MongoDB {mongo.get('mode', '')})]")
        lines.append("  asg --> db" if asg else f"  {entry} --> db")
    if vpc:
        lines.append(f"  subgraph vpc[VPC {vpc.get('cidr_block', '')} in {', '.join(vpc.get('azs', []))}]")
        lines.append(
            "    " + " & ".join(n for n, present in (("alb", alb), ("asg", asg), ("db", mongo)) if present)
            if (alb or asg or mongo)
            else "    net[subnets]"
        )
        lines.append("  end")
    lines.append("```")
    return "\n".join(lines)


def main() -> int:
    REPORTS.mkdir(exist_ok=True)
    results = {}
    for env in ENVIRONMENTS:
        say(f"\n{BOLD}== {env}: preflight → infrastructure → deploy → validate{RESET}")
        rc, seconds = run_site(env)
        outputs = load_outputs(env)
        results[env] = {"rc": rc, "seconds": seconds, "outputs": outputs}
        mark = f"{GREEN}converged{RESET}" if rc == 0 else f"{RED}FAILED (see reports/{env}-site.log){RESET}"
        say(f"  {mark} in {seconds:.0f}s")

    say(f"\n{BOLD}== Summary{RESET}")
    report = [
        "# illustra.webstack demo",
        "",
        f"Built on the local AWS emulator, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
    ]
    for env, result in results.items():
        outputs = result["outputs"]
        say(f"\n{BOLD}{env}{RESET} ({'ok' if result['rc'] == 0 else 'failed'}, {result['seconds']:.0f}s)")
        report += [
            f"## {env}",
            "",
            f"Run: {'converged' if result['rc'] == 0 else 'FAILED'} in {result['seconds']:.0f}s",
            "",
        ]
        for line in created(outputs):
            say(f"  created  {line}")
            report.append(f"- {line}")
        for name, url in endpoints(outputs).items():
            say(f"  endpoint {name}: {url}")
            report.append(f"- endpoint {name}: {url}")
        estimate = cost(outputs)
        if estimate:
            say(f"  cost     ~${estimate.get('total_usd', 0):.2f}/month of ${estimate.get('budget_usd', 0):.0f} budget")
            report += ["", "| item | USD/month |", "|---|---:|"]
            report += [
                f"| {i.get('item', i.get('name'))} | {i.get('monthly_usd', i.get('usd', 0)):.2f} |"
                for i in estimate.get("items", [])
            ]
            report.append(
                f"| **total** (budget {estimate.get('budget_usd', 0):.0f}) | **{estimate.get('total_usd', 0):.2f}** |"
            )
        findings = audit(env)
        if findings:
            say(f"  validate {findings['summary']}")
            report.append(f"\nValidation: {findings['summary']}")
            report += [f"- {f.get('severity')}: {f.get('summary')}" for f in findings["findings"]]
        for exception in (outputs.get("preflight__output") or {}).get("exceptions", []):
            say(f"  flagged  {exception}")
            report.append(f"- flagged: {exception}")
        report += ["", diagram(env, outputs), ""]
    (REPORTS / "demo.md").write_text("\n".join(report) + "\n")
    say(f"\nReport: {REPORTS / 'demo.md'}")
    return 0 if all(r["rc"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
