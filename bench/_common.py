"""What the benchmarks share: running ansible-playbook as users do, and describing the machine."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
VENV_BIN = ROOT / ".venv" / "bin"


def require_emulator(script: str) -> str:
    """The emulator's endpoint; exits with a hint when the benchmark is not run under one."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint.startswith("http://127.0.0.1:"):
        raise SystemExit(f"run under the emulator: .venv/bin/python tools/emulator.py run -- .venv/bin/python {script}")
    return endpoint


def reset_emulator(endpoint: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=120):
        pass


def ansible_playbook(args: list[str], env: dict | None = None, check: bool = True) -> tuple[float, dict, str]:
    """Run ansible-playbook with the JSON callback: (seconds, parsed output, stderr)."""
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    run_env["PATH"] = f"{VENV_BIN}:{run_env.get('PATH', '')}"
    run_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), *args], cwd=ROOT, env=run_env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    data = json.loads(proc.stdout[proc.stdout.find("{") :]) if "{" in proc.stdout else {}
    if check and proc.returncode != 0:
        raise SystemExit(
            f"ansible-playbook {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed, data, proc.stderr


def machine(load_before: tuple[float, float, float]) -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        # a shared machine: every peer's time grows with the load
        "load_average_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }


def write_result(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
