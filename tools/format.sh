#!/usr/bin/env bash
# Formats the C# sources the way .editorconfig describes (dotnet format's whitespace pass: indentation,
# braces, spacing, line endings, final newline). Needs only the .NET SDK; no restore, no build, no network.
#
#   tools/format.sh           rewrite the files that differ
#   tools/format.sh --check   change nothing; list every file and line that differs and exit 1 (CI runs this)
#
# CpuCatalog.Generated.cs is left out: tools/gen-catalog writes it, and its layout is the generator's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

args=(whitespace --folder
      --exclude src/ProxClmc.Guard.Core/Catalog/CpuCatalog.Generated.cs artifacts '**/bin/' '**/obj/')

if [[ ${1:-} != --check ]]; then
    exec dotnet format "${args[@]}" "$@"
fi

start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet format "${args[@]}" --verify-no-changes -v q >"$log" 2>&1
rc=$?
set -e
seconds=$(($(date +%s) - start))
if ((rc == 0)); then
    echo "format: every C# file follows .editorconfig ($seconds s)"
    exit 0
fi
# "path(line,col): error WHITESPACE: what to change [folder]" -> "path:line:col: what to change"
differs=$(sed -nE "s#^$PWD/([^(]+)\(([0-9]+),([0-9]+)\): error [A-Z]+: (.*) \[.*\]\$#\1:\2:\3: \4#p" "$log")
if [[ -z $differs ]]; then
    cat "$log" >&2
    echo "format: dotnet format failed (exit $rc) after $seconds s" >&2
    exit "$rc"
fi
echo "$differs"
echo "format: $(wc -l <<<"$differs") place(s) in $(cut -d: -f1 <<<"$differs" | sort -u | wc -l) file(s) differ from .editorconfig ($seconds s); run tools/format.sh to fix them"
exit 1
