#!/usr/bin/env bash
# Everything `make` needs on a fresh Debian machine: apt packages, the .venv, the collection link.
# Safe to re-run; `make setup` runs it when requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

# podman/runc/debootstrap: Molecule's real systemd hosts; nginx-light: a real server for the
# health_check tests; python3-venv: the .venv on a system Python; haproxy: the data plane's load
# balancer stand-in (tools/dataplane); iproute2: the data plane's network gateway; njs, ModSecurity and
# the OWASP CRS: the edge's CloudFront and WAF stand-ins (tools/dataplane/edge.py); chromium (+ a font):
# the browser tests and screenshots; graphviz: the demo's architecture diagram; nodejs: runs the
# CloudFront Function's unit tests.
APT_PACKAGES=(podman runc debootstrap nginx-light python3-venv ca-certificates git haproxy iproute2
  libnginx-mod-http-js libnginx-mod-http-modsecurity modsecurity-crs chromium fonts-dejavu-core graphviz nodejs)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx and haproxy from apt start system services; our tests start their own servers on loopback.
for service in nginx haproxy; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The run-time requirements (ranges) and the toolchain that pins them, resolved together.
.venv/bin/python -m pip install -q -r requirements.txt -r test-requirements.txt

# The browser tests' driver, pinned in tests/e2e/browser/package-lock.json: playwright-core, which drives
# Debian's chromium (it downloads no browser). Node and npm come from apt unless the machine has them.
if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
BROWSER=tests/e2e/browser
if [ ! -f "$BROWSER/node_modules/.package-lock.json" ] || ! cmp -s "$BROWSER/package-lock.json" "$BROWSER/node_modules/.webstack-lock"; then
  npm ci --prefix "$BROWSER" --no-audit --no-fund --loglevel=error
  cp "$BROWSER/package-lock.json" "$BROWSER/node_modules/.webstack-lock"
fi

# The collection resolves as illustra.webstack from this checkout (ansible.cfg collections_path).
mkdir -p .cache/collections/ansible_collections/illustra
ln -sfn ../../../.. .cache/collections/ansible_collections/illustra/webstack
echo "setup: ready (.venv, collection illustra.webstack -> $(pwd))"
