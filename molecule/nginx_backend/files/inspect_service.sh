#!/bin/bash
# Print key=value facts about the running app service, for verify.yml. Usage: inspect_service.sh APP BASE_DIR
set -euo pipefail
app=$1 base=$2 service="$1.service"
pid=$(systemctl show -p MainPID --value "$service")
echo "user=$(ps -o user:32= -p "$pid" | tr -d ' ')"
grep -E '^(NoNewPrivs|CapEff|CapBnd):' "/proc/$pid/status" | tr -d '\t ' | tr ':' '='
awk '$5 == "/" {print "root_opts=" $6}' "/proc/$pid/mountinfo"
echo "envfile=$(stat -c '%a %U %G' "/etc/$app/app.env")"
echo "code_owner=$(stat -c '%U' "$base/current/server.py")"
echo "exposure=$(systemd-analyze security --no-pager "$service" | awk '/Overall exposure level/ {print $(NF-1)}')"
# Ansible logs module arguments to the target's journal unless no_log: the secret must not be there. The pattern is
# split so that an invocation logged with it cannot match itself.
if journalctl --no-pager -o cat | grep -q "direct""Connection=true"; then
  echo secret_in_journal=yes
else
  echo secret_in_journal=no
fi
