#!/usr/bin/env bash
# Builds the proxclmc-guard Debian package: artifacts/deb/proxclmc-guard_<version>_amd64.deb
#
#   tools/package.sh
#
# Needs the .NET SDK (10.0) and a NuGet source; as root it installs the Debian
# build dependencies itself. The build runs in a copy of the source tree under
# artifacts/deb-build/, because dpkg-buildpackage writes its results next to
# the tree and `debian/rules clean` removes src/*/bin and src/*/obj.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root="$repo/artifacts/deb-build"
out="$repo/artifacts/deb"

build_deps=(debhelper dpkg-dev clang lld zlib1g-dev)

missing=()
for pkg in "${build_deps[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "package.sh: installing build dependencies: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "package.sh: missing build dependencies: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi
command -v dotnet >/dev/null || { echo "package.sh: the .NET SDK (dotnet) is not on PATH; see debian/README.source" >&2; exit 1; }

cd "$repo"
version=$(dpkg-parsechangelog -S Version)
tree="$build_root/proxclmc-guard-${version%-*}"
rm -rf "$build_root"
mkdir -p "$tree" "$out"

# The tracked files plus new, not ignored ones (so uncommitted work builds too);
# a tree without git (an unpacked tarball) is copied whole.
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
        tar -C "$repo" --null -T - -cf - | tar -C "$tree" -xf -
else
    tar -C "$repo" --exclude=./artifacts --exclude='*/bin' --exclude='*/obj' -cf - . | tar -C "$tree" -xf -
fi

# NuGet packages persist across builds in artifacts/nuget (never in $HOME).
export NUGET_PACKAGES="${NUGET_PACKAGES:-$repo/artifacts/nuget}"
mkdir -p "$NUGET_PACKAGES"

start=$(date +%s)
(cd "$tree" && dpkg-buildpackage -us -uc -b)
echo "package.sh: dpkg-buildpackage took $(($(date +%s) - start)) s"

rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
mv "$build_root"/*.deb "$build_root"/*.changes "$build_root"/*.buildinfo "$out"/
ls -l "$out"
