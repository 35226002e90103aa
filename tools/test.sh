#!/usr/bin/env bash
# Runs every test of ProxClmc.Guard on a Debian machine that has the .NET SDK.
# Installs what the tests need when it is missing (tools/test-deps.sh, which elevates only for that):
# OpenSSH, systemd, passwd, util-linux and QEMU. Ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

tools/test-deps.sh

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
