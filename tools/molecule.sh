#!/usr/bin/env bash
# Run every Molecule scenario in molecule/: podman ones against a locally built systemd Debian
# image, delegated (AWS) ones against the local emulator. Usage: tools/molecule.sh [scenario...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# podman here needs runc and ulimits within the host's hard limits (tools/podman/containers.conf says why).
export CONTAINERS_CONF="$PWD/tools/podman/containers.conf"

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in molecule/*/molecule.yml; do [ -f "$f" ] && scenarios+=("$(basename "$(dirname "$f")")"); done
fi
[ ${#scenarios[@]} -gt 0 ] || { echo "molecule: no scenarios"; exit 0; }

driver() { sed -n '/^driver:/,/^[a-z]/s/^  name: *//p' "molecule/$1/molecule.yml" | head -1; }
needs_image=false
for s in "${scenarios[@]}"; do
  [ "$(driver "$s")" = podman ] && needs_image=true
done
if $needs_image; then
  # Rebuilt per CI run: the host's extra CA certificates it copies can change between machines.
  if ! podman image exists localhost/debian-bookworm:latest || [ "${CI:-}" = "true" ]; then
    bash tools/podman/build-image.sh
  fi
fi

failed=()
for s in "${scenarios[@]}"; do
  echo "=== molecule test -s $s"
  # AWS roles use the delegated ("default") driver and run against the local emulator.
  if [ "$(driver "$s")" != podman ]; then
    .venv/bin/python tools/emulator.py run -- molecule test -s "$s" || failed+=("$s")
  else
    molecule test -s "$s" || failed+=("$s")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: failed scenarios: ${failed[*]}"
  exit 1
fi
echo "molecule: ${#scenarios[@]} passed, 0 failed"
