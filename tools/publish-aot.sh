#!/usr/bin/env bash
# Publishes the NativeAOT proxclmc-guard binary into artifacts/aot/ and prints its size.
#
#   tools/publish-aot.sh [--smoke] [extra dotnet publish arguments]
#
# --smoke: then runs the binary (--version, baseline --from the lab cluster) and
# checks that it answers the lab cluster exactly like the JIT build of the same
# code (stdout and exit code of baseline, scan in every format, check), one
# line per check.
#
# Needs the .NET 10 SDK and clang (Debian package clang; the GNU ld from
# binutils links, the runtime pack brings its own static zlib, so neither lld
# nor zlib1g-dev is needed). As root it installs clang when missing.
# Trim and AOT warnings fail the build: TreatWarningsAsErrors also turns on the
# NativeAOT compiler's --warnaserror, and this script rejects any warning line
# in the output as well.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo/artifacts/aot"
rid=linux-x64
smoke=0
if [[ ${1:-} == --smoke ]]; then
    smoke=1
    shift
fi

missing=()
for pkg in clang; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "publish-aot.sh: installing ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "publish-aot.sh: missing ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

rm -rf "$out"
mkdir -p "$out"
log="$repo/artifacts/aot-publish.log"
start=$(date +%s)
set +e
dotnet publish "$repo/src/ProxClmc.Guard/ProxClmc.Guard.csproj" -c Release -r "$rid" -o "$out" \
    -p:MSBuildTreatWarningsAsErrors=true --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
seconds=$(($(date +%s) - start))

if ((rc != 0)); then
    echo "publish-aot.sh: dotnet publish failed (exit $rc) after $seconds s; log in $log" >&2
    exit "$rc"
fi
# "0 Warning(s)" in a summary is not a warning; anything else naming one is.
if grep -E '(^|[^0-9A-Za-z])warning [A-Z]+[0-9]+' "$log" >/dev/null; then
    echo "publish-aot.sh: the publish printed warnings (trim/AOT warnings are not allowed):" >&2
    grep -E '(^|[^0-9A-Za-z])warning [A-Z]+[0-9]+' "$log" | sort -u >&2
    exit 1
fi

binary="$out/proxclmc-guard"
[[ -x $binary ]] || { echo "publish-aot.sh: $binary was not produced" >&2; exit 1; }
# Symbols go to proxclmc-guard.dbg; the .pdb files of the libraries are of no use next to a native binary.
rm -f "$out"/*.pdb
size=$(stat -c %s "$binary")
echo "publish-aot.sh: $binary: $size bytes ($((size / 1024)) KiB), built in $seconds s"
echo "publish-aot.sh: linked against: $(ldd "$binary" | awk '{print $1}' | grep -v '^linux-vdso' | tr '\n' ' ')"

((smoke)) || exit 0
# Exit codes 1-3 are answers here, not errors.
set +e

# --- smoke run: the native binary against the JIT build of the same code ---------
lab="$repo/contrib/examples/lab-cluster"
# The IL build that publish compiled from; it runs on the shared runtime.
jit_dll="$repo/src/ProxClmc.Guard/bin/Release/net10.0/$rid/proxclmc-guard.dll"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")
failures=0
ok() { printf 'ok   %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; failures=$((failures + 1)); }

printed=$("$binary" --version 2>&1) && [[ $printed == *"$version"* ]] &&
    ok "aot: --version prints $version" || fail "aot: --version prints $version (printed: ${printed:-nothing})"
if [[ ! -d $lab ]]; then
    fail "aot: $lab is missing"
else
    "$binary" baseline --from "$lab" >/dev/null 2>&1 && ok "aot: baseline --from lab-cluster exits 0" ||
        fail "aot: baseline --from lab-cluster exits 0 (exit $?)"
    # Same answers as the JIT build; only the report's generation time may differ.
    same_answer() {
        local aot_out jit_out aot_rc jit_rc
        aot_out=$(cd "$repo" && "$binary" "$@" 2>&1); aot_rc=$?
        jit_out=$(cd "$repo" && dotnet "$jit_dll" "$@" 2>&1); jit_rc=$?
        aot_out=$(sed -E 's/"generatedAt": *"[^"]*"/"generatedAt": "-"/; s/^(proxclmc_[a-z_]*timestamp[a-z_]*(\{[^}]*\})?) .*/\1 -/' <<<"$aot_out")
        jit_out=$(sed -E 's/"generatedAt": *"[^"]*"/"generatedAt": "-"/; s/^(proxclmc_[a-z_]*timestamp[a-z_]*(\{[^}]*\})?) .*/\1 -/' <<<"$jit_out")
        if [[ $aot_rc -eq $jit_rc && $aot_out == "$jit_out" ]]; then
            ok "aot = jit: $* (exit $aot_rc, $(wc -l <<<"$aot_out") lines)"
        else
            fail "aot = jit: $* (exit $aot_rc vs $jit_rc)"
            diff <(echo "$jit_out") <(echo "$aot_out") | head -20 | sed 's/^/  /'
        fi
    }
    rel=contrib/examples/lab-cluster
    same_answer baseline --from "$rel"
    same_answer baseline --from "$rel" --list-only
    same_answer scan --from "$rel"
    same_answer scan --from "$rel" --format json
    same_answer scan --from "$rel" --format prometheus
    for node_dir in "$lab"/nodes/*/; do
        node=$(basename "$node_dir")
        same_answer check --evacuate "$node" --from "$rel"
    done
    for conf in "$lab"/nodes/*/qemu-server/*.conf; do
        vmid=$(basename "$conf" .conf)
        same_answer check "$vmid" --from "$rel"
    done
fi
printf '%s checks failed\n' "$failures"
((failures == 0))
