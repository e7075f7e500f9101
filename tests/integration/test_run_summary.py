"""The summary that ends site.yml (playbooks/summary.yml + callback_plugins/webstack_summary.py), without AWS calls.

summary.yml runs alone here on the outputs a prod run publishes (given as extra vars), with the default
stdout callback: the operator's view. With a JSON stdout callback the output stays parseable JSON.
"""

from __future__ import annotations

import json

from webstack_test import run_playbook

OUTPUTS = {
    "webstack_confirm": "prod",
    "cloudfront__output": {"domain_name": "d111111abcdef8.cloudfront.net"},
    "alb__output": {"dns_name": "illustra-prod-1.us-east-1.elb.amazonaws.com", "https_enabled": True},
    "dns__output": {"name_servers": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk"], "created": True},
    "preflight__output": {
        "cost": {"total_usd": 237.13, "budget_usd": 250, "percent_of_budget": 94.9, "within_budget": True},
        "stages": {"validate": False},
    },
}


def test_the_summary_is_what_the_operator_reads_last():
    run = run_playbook(
        "playbooks/summary.yml", "inventories/prod", extra_vars=OUTPUTS, env={"ANSIBLE_STDOUT_CALLBACK": "default"}
    )
    assert run.rc == 0, run.stdout[-2000:]
    tail = run.stdout[run.stdout.index("PLAY RECAP") :]
    summary = tail[tail.index("SUMMARY of illustra prod") :]
    for line in (
        "website URL        https://illustra-demo.example.com/",
        "API URL            https://api.illustra-demo.example.com/api/health",
        "CloudFront domain  d111111abcdef8.cloudfront.net",
        "ALB DNS name       illustra-prod-1.us-east-1.elb.amazonaws.com",
        "set these at the registrar of illustra-demo.example.com (a new zone):",
        "  ns-2.awsdns-02.co.uk",
        "cost               ~$237.13/month estimated, budget $250.00 (94.9% of it)",
        "validation         skipped: infrastructure only: no website build or backend release in this run",
        "changed            nothing",
    ):
        assert line in summary, summary
    assert summary.rstrip().endswith("*" * 79)


def test_a_zone_that_is_not_new_shows_no_name_servers_and_json_output_stays_json():
    outputs = dict(OUTPUTS, dns__output=dict(OUTPUTS["dns__output"], created=False))
    run = run_playbook("playbooks/summary.yml", "inventories/prod", extra_vars=outputs)
    assert run.rc == 0
    data = json.loads(run.stdout[run.stdout.index("{") :])  # the JSON callback's output, nothing after it
    assert data["stats"]["localhost"]["failures"] == 0
    facts = next(t for t in run.tasks if t["name"] == "Summarise the run")["hosts"]["localhost"]["ansible_facts"]
    assert facts["webstack_run_summary"]["zone"]["new"] is False
    assert facts["webstack_run_summary"]["endpoints"]["cloudfront_domain"] == "d111111abcdef8.cloudfront.net"
