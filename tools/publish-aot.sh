#!/usr/bin/env bash
# Publishes the NativeAOT proxclmc-guard binary into artifacts/aot/ and prints its size.
#
#   tools/publish-aot.sh [extra dotnet publish arguments]
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
