"""The emulator harness: starts on a free loopback port, points every client at it, never leaks a process."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import emulator
import pytest
import webstack_test as wt
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, str(ROOT / "tools" / "emulator.py")]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status").read_text()
    return "State:\tZ" not in status


def _served_pid(stderr_text):
    match = re.search(r"moto on http://127\.0\.0\.1:(\d+) \(pid (\d+)\)", stderr_text)
    assert match, stderr_text
    return int(match.group(2))


def test_run_returns_the_command_status_and_stops_the_emulator():
    proc = subprocess.run(
        [*HARNESS, "run", "--", "sh", "-c", "echo $AWS_ENDPOINT_URL; exit 7"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 7
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", proc.stdout)
    assert not _alive(_served_pid(proc.stderr))


def test_a_signal_to_the_harness_still_stops_the_emulator():
    proc = subprocess.Popen([*HARNESS, "run", "--", "sleep", "60"], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    served = _served_pid(line)
    assert _alive(served)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    deadline = time.monotonic() + 10
    while _alive(served) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(served)


def test_start_and_stop_by_pid(tmp_path):
    state = tmp_path / "emulator.json"
    started = subprocess.run(
        [*HARNESS, "start", "--state", str(state)], capture_output=True, text=True, timeout=120, check=True
    )
    exports = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines())
    assert exports["AWS_ENDPOINT_URL"] == exports["AWS_URL"]
    assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    pid = json.loads(state.read_text())["pid"]
    assert _alive(pid)
    client = boto3.client("sts", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    assert client.get_caller_identity()["Account"] == "123456789012"
    subprocess.run([*HARNESS, "stop", "--state", str(state)], check=True, timeout=60)
    assert not _alive(pid)
    assert not state.exists()


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: A stock module
      amazon.aws.aws_caller_info:
      register: caller
    - name: A lookup
      ansible.builtin.set_fact:
        param: "{{ lookup('amazon.aws.ssm_parameter', '/harness/probe') }}"
    - name: One of ours
      illustra.webstack.vpc_network:
        name: harness-probe
        cidr_block: 10.99.0.0/16
        nat_mode: none
        tags: {ManagedBy: illustra.webstack, Project: harness, Environment: dev}
      register: ours
    - name: Report
      ansible.builtin.debug:
        msg: "{{ {'account': caller.account, 'param': param, 'vpc': ours.vpc.vpc_id} }}"
"""


def test_standard_variables_alone_point_every_client_at_the_emulator(clean_emulator, tmp_path):
    boto3.client("ssm").put_parameter(Name="/harness/probe", Value="from-the-emulator", Type="String")
    play = tmp_path / "probe.yml"
    play.write_text(PLAY)
    for dropped in ("AWS_URL", None):  # AWS_ENDPOINT_URL alone is enough, and both together
        env = {k: v for k, v in os.environ.items() if k != dropped}
        proc = subprocess.run(
            ["ansible-playbook", str(play)],
            cwd=ROOT,
            env=dict(
                env,
                ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                PATH=f"{ROOT / '.venv' / 'bin'}:{env['PATH']}",
            ),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
        report = json.loads(proc.stdout[proc.stdout.index("{") :])["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"]
        assert report["account"] == "123456789012"
        assert report["param"] == "from-the-emulator"
        assert report["vpc"] in {v["VpcId"] for v in boto3.client("ec2").describe_vpcs()["Vpcs"]}
    wt.reset_emulator(clean_emulator)


def test_an_emulator_outlives_no_harness_even_one_killed_with_sigkill():
    script = "import sys, time; sys.path.insert(0, sys.argv[1]); import emulator; print(emulator.start()[0].pid, flush=True); time.sleep(120)"
    harness = subprocess.Popen([sys.executable, "-c", script, str(ROOT / "tools")], stdout=subprocess.PIPE, text=True)
    served = int(harness.stdout.readline())
    assert _alive(served)
    harness.kill()
    harness.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(served) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(served)


def test_iam_is_enforced_only_when_asked_and_then_after_n_requests():
    assert "INITIAL_NO_AUTH_ACTION_COUNT" not in emulator.moto_settings({}), "off by default"
    with pytest.raises(SystemExit, match="WEBSTACK_EMULATOR_IAM_AFTER must be a whole number"):
        emulator.moto_settings({"WEBSTACK_EMULATOR_IAM_AFTER": "three"})
    proc, endpoint = emulator.start(iam_after=3)
    try:
        where = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        throwaway = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        iam = boto3.client("iam", **where, **throwaway)
        iam.create_user(UserName="deployer")  # the 3 requests let through to create the identity
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="deployer", PolicyName="list-only", PolicyDocument=json.dumps(policy))

        with pytest.raises(ClientError) as unknown:
            boto3.client("s3", **where, **throwaway).list_buckets()
        assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
        deployer = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
        s3 = boto3.client("s3", **where, **deployer)
        assert s3.list_buckets()["Buckets"] == []
        with pytest.raises(ClientError) as denied:
            s3.create_bucket(Bucket="not-granted")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        emulator.stop_pid(proc.pid)
