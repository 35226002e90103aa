#!/usr/bin/env bash
# Runs every test of ProxClmc.Guard on a Debian machine that has the .NET SDK.
# Installs what the tests need when it is missing (as root): OpenSSH's server for the SSH tests,
# systemd for the journald and unit-file tests, passwd and util-linux for the tests that act as a second user,
# QEMU (qemu-system-x86) for the facts tests against this machine's KVM. Ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
[ -x /lib/systemd/systemd-journald ] || [ -x /usr/lib/systemd/systemd-journald ] || need+=(systemd)
# The attack tests act as a second local account (useradd/userdel, setpriv) and plant FIFOs (mkfifo).
command -v useradd >/dev/null 2>&1 || need+=(passwd)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
# QEMU for the facts tests: they compare what `facts` says with what qemu-system-x86_64 -cpu <model>,enforce starts.
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Missing ${need[*]}: run as root or install them first." >&2
  fi
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
status=0
dotnet test ProxClmc.Guard.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
  failed=1 # the build itself failed: no test ran
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
