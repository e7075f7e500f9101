#!/usr/bin/env python3
"""`make demo`: dev, staging and prod built on the local AWS emulator, each run twice, then a report.

It starts its own emulator unless AWS_ENDPOINT_URL names one, and stops it at the end. For each environment:
- site.yml (preflight, infrastructure, website deploy of the example build, validation): its play
  recap counts and the summary it ends with;
- site.yml again: its recap must say changed=0 (idempotence, shown rather than claimed);
- the validation verdict of every gate, read from reports/validate-<env>.json: ok, FAILED or skipped
  (without a data plane nothing serves HTTP, so the HTTP gates are skipped and say so).

With DEMO_DATAPLANE=prod (or "staging prod", or "all"), those environments also run as real software
(tools/dataplane: hosts booted from their user data, HAProxy, the CloudFront and WAF stand-ins): their
second run validates with every HTTP gate on, and headless Chromium takes screenshots of the site.
Every data plane the demo brought up is taken down at the end, whatever happens.

The report, reports/demo.html, is one offline file: the tables above per environment, the cost
estimate, what preflight flagged, the screenshots (embedded) and an architecture diagram of what was
actually deployed, drawn from the roles' outputs by graphviz as SVG.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
ENVIRONMENTS = ("dev", "staging", "prod")
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)")
BOLD, DIM, GREEN, RED, YELLOW, RESET = (
    ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[0m") if sys.stdout.isatty() else ("",) * 6
)
STATUS_COLOUR = {"ok": GREEN, "failed": RED, "skipped": YELLOW}
sys.path.insert(0, str(ROOT / "tools"))


def say(text: str = "") -> None:
    print(text, flush=True)


def site_vars(env: str) -> dict:
    return {
        "webstack_confirm": env,
        "webstack_report": True,
        "webstack_report_dir": str(REPORTS),
        "validate_report_dir": str(REPORTS),
        # The example React build, deployed as a release of its own.
        "website_build_dir": str(ROOT / "examples" / "frontend" / "build"),
        # Without a data plane nothing serves the website or the API: the HTTP gates are skipped (and
        # reported as skipped); the audit and cost gates run.
        "validate_http_gates": False,
        # dev uses MongoDB Atlas; a placeholder connection string stands in for the vault's.
        "mongodb_atlas_uri": "mongodb+srv://demo:demo@cluster0.example.mongodb.net/illustra",
    }


def run_site(env: str, run: int, extra: dict | None = None, command_env: dict | None = None) -> dict:
    """site.yml for one environment; task names stream to the terminal, the whole log to reports/."""
    log_path = REPORTS / f"{env}-site-{run}.log"
    cmd = [
        str(ROOT / ".venv" / "bin" / "ansible-playbook"),
        str(ROOT / "playbooks" / "site.yml"),
        "-i",
        str(ROOT / "inventories" / env),
        "-e",
        json.dumps({**site_vars(env), **(extra or {})}),
    ]
    env_vars = dict(command_env or os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env_vars.pop("ANSIBLE_STDOUT_CALLBACK", None)
    started = time.monotonic()
    lines = []
    with (
        subprocess.Popen(
            cmd, cwd=ROOT, env=env_vars, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as proc,
        log_path.open("w") as log,
    ):
        for line in proc.stdout:
            log.write(line)
            lines.append(line.rstrip("\n"))
            if line.startswith("TASK [") and run == 1:
                say(f"  {DIM}{line[6:].split(']')[0]}{RESET}")
            elif line.startswith(("fatal:", "failed:")) or "ERROR!" in line:
                say(f"  {RED}{line.rstrip()[:300]}{RESET}")
    return {
        "rc": proc.returncode,
        "seconds": time.monotonic() - started,
        "recap": recap(lines),
        "summary": summary_block(lines),
        "log": str(log_path.relative_to(ROOT)),
    }


def recap(lines: list[str]) -> dict:
    """The PLAY RECAP counts, per host and in total."""
    hosts = {}
    for line in lines:
        match = RECAP.match(line)
        if match:
            name, *counts = match.groups()
            hosts[name] = dict(
                zip(("ok", "changed", "unreachable", "failed", "skipped"), map(int, counts), strict=True)
            )
    total = {k: sum(h[k] for h in hosts.values()) for k in ("ok", "changed", "unreachable", "failed", "skipped")}
    return {"hosts": hosts, "total": total}


def summary_block(lines: list[str]) -> list[str]:
    """The summary site.yml ends with (playbooks/callback_plugins/webstack_summary.py)."""
    for index, line in enumerate(lines):
        if line.startswith("SUMMARY of "):
            end = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("*" * 20)), len(lines))
            return lines[index:end]
    return []


def load_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def gates(env: str) -> list[dict]:
    return load_json(REPORTS / f"validate-{env}.json").get("gates", [])


def dot_source(env: str, outputs: dict) -> str:
    """A graphviz diagram of what was deployed, from the roles' published outputs."""

    def node(name: str, label: str, shape: str = "box", colour: str = "#e8f0fe") -> str:
        text = label.replace('"', "'")
        return f'  {name} [label="{text}", shape={shape}, style="rounded,filled", fillcolor="{colour}"];'

    cdn, s3 = outputs.get("cloudfront__output") or {}, outputs.get("frontend_s3__output") or {}
    alb, asg = outputs.get("alb__output") or {}, outputs.get("asg__output") or {}
    waf, dns = outputs.get("waf__output") or {}, outputs.get("dns__output") or {}
    mongo, vpc = outputs.get("mongodb__output") or {}, outputs.get("vpc__output") or {}
    watch = outputs.get("cloudwatch__output") or {}
    lines = [
        f'digraph "{env}" {{',
        '  rankdir=LR; fontname="Helvetica"; node [fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=10];',
        node("users", "viewers", "ellipse", "#ffffff"),
    ]
    entry = "users"
    if dns:
        lines.append(
            node("dns", f"Route 53\\n{dns.get('zone_name') or ', '.join(dns.get('records', [])[:1])}", colour="#fef7e0")
        )
        lines.append("  users -> dns;")
        entry = "dns"
    if s3:
        lines.append(node("s3", f"S3\\n{s3.get('bucket_name', '')}", "cylinder", "#e6f4ea"))
    if cdn:
        lines.append(node("cdn", f"CloudFront\\n{cdn.get('domain_name', '')}"))
        lines.append(f'  {entry} -> cdn; cdn -> s3 [label="OAC (SigV4)"];')
        if waf.get("cloudfront"):
            lines.append(node("wafcf", "WAF\\n(CLOUDFRONT)", "octagon", "#fce8e6"))
            lines.append("  wafcf -> cdn [style=dashed, arrowhead=none];")
    elif s3:
        lines.append(f'  {entry} -> s3 [label="S3 website (HTTP, flagged)"];')
    if alb:
        lines.append(node("alb", f"ALB\\n{alb.get('dns_name', '')}"))
        lines.append(f'  {"cdn" if cdn else entry} -> alb [label="/api/*"];')
        if dns:
            lines.append('  dns -> alb [label="api."];')
        if waf.get("regional"):
            lines.append(node("wafalb", "WAF\\n(REGIONAL)", "octagon", "#fce8e6"))
            lines.append("  wafalb -> alb [style=dashed, arrowhead=none];")
    if asg:
        label = f"EC2 Auto Scaling\\n{asg.get('name') or asg.get('asg_name') or 'backend'}"
        lines.append(node("asg", label, "box3d"))
        lines.append(f"  {'alb' if alb else entry} -> asg;")
    if mongo:
        lines.append(node("db", f"MongoDB\\n{mongo.get('mode', '')}", "cylinder", "#e6f4ea"))
        lines.append(f"  {'asg' if asg else entry} -> db;")
    if watch:
        lines.append(node("watch", "CloudWatch alarms\\n+ SNS alerts", "note", "#f1f3f4"))
    if vpc:
        members = [n for n, present in (("alb", alb), ("asg", asg), ("db", mongo)) if present]
        if members:
            lines.append(
                f'  subgraph cluster_vpc {{ label="VPC {vpc.get("cidr_block", "")}"; style=dashed; {"; ".join(members)}; }}'
            )
    lines.append("}")
    return "\n".join(lines)


def svg(dot: str) -> str:
    """The diagram as inline SVG (graphviz), or a note when graphviz is missing."""
    binary = shutil.which("dot")
    if not binary:
        return "<p><em>graphviz (dot) is not installed: run make setup to get the diagram.</em></p>"
    out = subprocess.run([binary, "-Tsvg"], input=dot, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return f"<pre>{html.escape(out.stderr)}</pre>"
    return out.stdout[out.stdout.find("<svg") :]


def dataplanes_requested() -> list[str]:
    wanted = os.environ.get("DEMO_DATAPLANE", "").replace(",", " ").split()
    if "all" in wanted:
        return list(ENVIRONMENTS)
    unknown = [w for w in wanted if w not in ENVIRONMENTS]
    if unknown:
        raise SystemExit(f"demo: DEMO_DATAPLANE names unknown environments {unknown}; use dev, staging, prod or all")
    return wanted


def dataplane_runs(env: str, result: dict) -> None:
    """The environment as real software: `up` converges it and boots it, then site.yml again with every gate on."""
    from dataplane import cli, runner  # noqa: PLC0415
    from dataplane.state import State  # noqa: PLC0415

    say(
        f"  {BOLD}data plane{RESET}: converge, boot the hosts, serve the load balancer and the edge (.cache/dataplane/{env}/)"
    )
    started = time.monotonic()
    failed = None
    try:
        cli.up(env)
    except SystemExit as exc:  # up says what failed; the report shows it
        failed = str(exc)
    state = State.load(env)
    converge_log = state.dir / "converge.log"
    lines = converge_log.read_text().splitlines() if converge_log.exists() else []
    first = {
        "rc": 1 if failed else 0,
        "seconds": time.monotonic() - started,
        "recap": recap(lines),
        "summary": summary_block(lines),
        "log": str(converge_log.relative_to(ROOT)) if converge_log.exists() else "",
    }
    result["runs"].append(first)
    say(
        f"  run 1 (data plane up): {'FAILED: ' + failed if failed else 'up'} in {first['seconds']:.0f}s, recap {first['recap']['total']}"
    )
    if failed:
        return
    extra = dict(
        cli.converge_vars(env), webstack_report=True, webstack_report_dir=str(REPORTS), validate_report_dir=str(REPORTS)
    )
    second = run_site(env, 2, dict(extra, validate_http_gates=True), runner.env(state))
    result["runs"].append(second)
    changed = second["recap"]["total"].get("changed")
    colour = GREEN if second["rc"] == 0 and changed == 0 else RED
    say(f"  run 2 (every HTTP gate on): {colour}changed={changed}{RESET} in {second['seconds']:.0f}s")
    result["screenshots"] = screenshots(env, State.load(env))
    say(f"  screenshots: {', '.join(s['name'] + ' ' + str(s.get('status')) for s in result['screenshots']) or 'none'}")


def screenshots(env: str, state) -> list[dict]:
    """Headless Chromium opens the site through the data plane (tests/e2e/browser/check_site.mjs)."""
    import tempfile  # noqa: PLC0415

    from dataplane import edge  # noqa: PLC0415

    url = (state.get("website_url") or "").rstrip("/")
    if not url:
        return []
    pages = [
        {"name": "home", "url": f"{url}/", "wait": "app"},
        {"name": "deep link", "url": f"{url}/products/poster-aurora", "wait": "app"},
        {"name": "API 404", "url": f"{url}/api/does-not-exist", "wait": "load"},
        {"name": "WAF block", "url": f"{url}/?q=<script>alert(1)</script>", "wait": "load"},
    ]
    with tempfile.TemporaryDirectory(prefix="webstack-demo-chromium-") as profile:
        for index, page in enumerate(pages):
            page["screenshot"] = str(REPORTS / f"{env}-browser-{index}.png")
        plan = {
            "executable": "/usr/bin/chromium",
            "userDataDir": profile,
            "args": [
                a for a in edge.chromium_args(state, profile) if not a.startswith(("--user-data-dir", "--headless"))
            ],
            "pages": pages,
        }
        plan_path = Path(profile) / "plan.json"
        plan_path.write_text(json.dumps(plan))
        out = subprocess.run(
            ["node", str(ROOT / "tests" / "e2e" / "browser" / "check_site.mjs"), str(plan_path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if out.returncode != 0:
        say(f"  {RED}browser: {out.stderr.strip()[-300:]}{RESET}")
        return []
    return json.loads(out.stdout)["pages"]


def report_html(results: dict) -> str:
    css = """
    body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #202124; }
    h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #dadce0; padding-bottom: 0.3rem; margin-top: 2.5rem; }
    table { border-collapse: collapse; margin: 0.8rem 0; } td, th { border: 1px solid #dadce0; padding: 0.3rem 0.6rem;
    text-align: left; vertical-align: top; font-size: 0.92rem; } th { background: #f1f3f4; }
    .ok { color: #188038; font-weight: 600; } .failed { color: #c5221f; font-weight: 600; }
    .skipped { color: #b06000; font-weight: 600; } pre { background: #f8f9fa; padding: 0.8rem; white-space: pre-wrap; }
    .shots { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; } .shots img { width: 100%; border: 1px solid #dadce0; }
    .diagram svg { max-width: 100%; height: auto; }
    """
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>illustra.webstack demo</title>",
        f"<style>{css}</style></head><body>",
        "<h1>illustra.webstack demo</h1>",
        f"<p>Built on the local AWS emulator, {html.escape(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))}. "
        "Every environment ran <code>site.yml</code> twice; the second run must change nothing.</p>",
    ]
    for env, result in results.items():
        parts.append(f"<h2>{html.escape(env)}</h2>")
        parts.append(
            "<table><tr><th>run</th><th>result</th><th>seconds</th><th>ok</th><th>changed</th><th>failed</th><th>skipped</th><th>log</th></tr>"
        )
        for number, run in enumerate(result["runs"], 1):
            total = run["recap"]["total"] if run["recap"]["hosts"] else {}
            verdict = "ok" if run["rc"] == 0 else "failed"
            what = {1: "first run", 2: "second run (must be changed=0)"}.get(number, "")
            parts.append(
                f"<tr><td>{number}: {what}</td><td class='{verdict}'>{'converged' if run['rc'] == 0 else 'FAILED'}</td>"
                f"<td>{run['seconds']:.0f}</td><td>{total.get('ok', '-')}</td><td>{total.get('changed', '-')}</td>"
                f"<td>{total.get('failed', '-')}</td><td>{total.get('skipped', '-')}</td><td><code>{html.escape(run['log'])}</code></td></tr>"
            )
        parts.append("</table>")
        if result.get("gates"):
            parts.append("<table><tr><th>validation gate</th><th>status</th><th>details</th></tr>")
            for gate in result["gates"]:
                status = gate.get("status", "ok" if gate.get("passed") else "failed")
                details = "<br>".join(html.escape(str(d)) for d in gate.get("details") or [])
                parts.append(
                    f"<tr><td>{html.escape(gate['gate'])}</td><td class='{status}'>{status}</td><td>{details}</td></tr>"
                )
            parts.append("</table>")
        summary = result["runs"][-1].get("summary") or result["runs"][0].get("summary")
        if summary:
            parts.append(f"<pre>{html.escape(chr(10).join(summary))}</pre>")
        estimate = (result["outputs"].get("preflight__output") or {}).get("cost") or {}
        if estimate.get("items"):
            parts.append("<table><tr><th>cost item</th><th>USD/month</th></tr>")
            for item in estimate["items"]:
                usd = item.get("monthly_usd", item.get("usd", 0))
                parts.append(
                    f"<tr><td>{html.escape(str(item.get('item', item.get('name'))))}</td><td>{usd:.2f}</td></tr>"
                )
            parts.append(
                f"<tr><th>total (budget {estimate.get('budget_usd', 0):.0f})</th><th>{estimate.get('total_usd', 0):.2f}</th></tr></table>"
            )
        for exception in (result["outputs"].get("preflight__output") or {}).get("exceptions", []):
            parts.append(f"<p>Flagged by preflight: {html.escape(str(exception))}</p>")
        shots = [s for s in result.get("screenshots", []) if Path(s.get("screenshot", "")).exists()]
        if shots:
            parts.append("<div class='shots'>")
            for shot in shots:
                data = base64.b64encode(Path(shot["screenshot"]).read_bytes()).decode()
                caption = f"{shot['name']}: {shot['url']} → {shot.get('status')}"
                parts.append(
                    f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'><figcaption>{html.escape(caption)}</figcaption></figure>"
                )
            parts.append("</div>")
        parts.append(f"<div class='diagram'>{svg(dot_source(env, result['outputs']))}</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def finish(env: str, result: dict) -> None:
    """Read back what the runs published and show the verdicts and the last run's summary."""
    result["outputs"] = load_json(REPORTS / f"{env}-outputs.json")
    result["gates"] = gates(env)
    verdicts = ", ".join(
        f"{g['gate']} {STATUS_COLOUR.get(g.get('status'), '')}{g.get('status')}{RESET}" for g in result["gates"]
    )
    say(f"  validation: {verdicts or 'no report'}")
    for line in result["runs"][-1]["summary"]:
        say(f"  {line}")


def own_emulator(planes: list[str]):
    """The emulator of the demo: the one AWS_ENDPOINT_URL names, else one started here and tied to this process.

    A data plane's hosts reach it through their network's gateway, so for those it also listens there.
    """
    import emulator  # noqa: PLC0415

    if os.environ.get("AWS_ENDPOINT_URL"):
        return None
    listen = []
    if planes:
        from dataplane import cli, podman  # noqa: PLC0415

        listen = sorted({podman.gateway(cli.vpc_cidr(env)) for env in ENVIRONMENTS})
    proc, endpoint = emulator.start(listen=listen)
    os.environ.update(emulator.client_env(endpoint))
    say(f"{DIM}emulator at {endpoint} (stopped when the demo ends){RESET}")
    return proc


def main() -> int:
    import emulator  # noqa: PLC0415

    REPORTS.mkdir(exist_ok=True)
    results = {}
    planes = dataplanes_requested()
    started_planes = []
    proc = own_emulator(planes)
    try:
        for env in ENVIRONMENTS:
            say(f"\n{BOLD}== {env}: preflight → infrastructure → deploy → validate{RESET}")
            result = {"runs": [], "outputs": {}}
            results[env] = result
            if env in planes:
                started_planes.append(env)
                dataplane_runs(env, result)
                finish(env, result)
                continue
            first = run_site(env, 1)
            result["runs"].append(first)
            mark = f"{GREEN}converged{RESET}" if first["rc"] == 0 else f"{RED}FAILED (see {first['log']}){RESET}"
            say(f"  run 1: {mark} in {first['seconds']:.0f}s, recap {first['recap']['total']}")
            if first["rc"] == 0:
                second = run_site(env, 2)
                result["runs"].append(second)
                changed = second["recap"]["total"].get("changed")
                colour = GREEN if second["rc"] == 0 and changed == 0 else RED
                say(
                    f"  run 2: {colour}changed={changed}{RESET} in {second['seconds']:.0f}s (the same inputs change nothing)"
                )
            finish(env, result)
    finally:
        if started_planes:
            from dataplane import cli  # noqa: PLC0415

            for env in started_planes:
                cli.down(env)
        if proc is not None:
            emulator.stop_pid(proc.pid)
    (REPORTS / "demo.html").write_text(report_html(results))
    (REPORTS / "demo.json").write_text(json.dumps(results, indent=2, default=str))
    say(f"\nReport: {REPORTS / 'demo.html'} (offline, one file)")
    ok = all(
        r["runs"][0]["rc"] == 0
        and len(r["runs"]) > 1
        and r["runs"][1]["recap"]["total"].get("changed") == 0
        and r["runs"][1]["rc"] == 0
        for r in results.values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
