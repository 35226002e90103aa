#!/usr/bin/env bash
# Median wall time of one `hook <vmid> pre-start` decision on a migration target, NativeAOT binary vs the JIT build,
# with pve2's facts published (the host guest's source CPU comes from them, as on a cluster where the worker runs;
# the hook reads node facts by scan's rules, and the facts cache is not its fast path).
# Uses hyperfine (apt-get install hyperfine). Prints a table; asserts nothing about time.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v hyperfine >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq hyperfine >/dev/null; }

aot=artifacts/aot/proxclmc-guard
[ -x "$aot" ] || tools/publish-aot.sh >/dev/null
dotnet build -c Release src/ProxClmc.Guard -v q -nologo >/dev/null
jit=src/ProxClmc.Guard/bin/Release/net10.0/proxclmc-guard

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lab=contrib/examples/lab-cluster
mkdir -p "$work/pve"
cp -r "$lab/corosync.conf" "$lab/virtual-guest" "$work/pve/"
for node in "$lab"/nodes/*; do
  n=$(basename "$node"); mkdir -p "$work/pve/nodes/$n"; cp -r "$node/qemu-server" "$work/pve/nodes/$n/"
done

# pve2's published facts, fresh, as its worker writes them before each scan.
mkdir -p "$work/pve/nodes/pve2/proxclmc-guard"
python3 -c 'import json, sys, datetime
print(json.dumps({"node": "pve2", "collectedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
  "kernel": "", "microcode": "", "cpuinfo": open(sys.argv[1]).read(), "qemu": None, "qemuError": "no QEMU answer"}))' \
  "$lab/nodes/pve2/cpuinfo" > "$work/pve/nodes/pve2/proxclmc-guard/facts.json"
cat > "$work/guard.toml" <<TOML
[cluster]
corosync_conf = "$work/pve/corosync.conf"
pve_root = "$work/pve"
local_node = "pve1"
[facts]
local_cpuinfo = "$PWD/$lab/nodes/pve1/cpuinfo"
cache_file = "$work/cache.json"
max_age_seconds = 86400
TOML

run() { # label binary vmid source
  PVE_MIGRATED_FROM=$4 hyperfine -N -i --warmup 3 --runs "${RUNS:-40}" --export-json "$work/$1.json" \
    "$2 --config $work/guard.toml hook $3 pre-start" >/dev/null 2>&1
  python3 -c "import json,sys; r=json.load(open('$work/$1.json'))['results'][0]; print('%-44s %8.1f ms  (min %.1f, max %.1f)' % ('$1', r['median']*1000, r['min']*1000, r['max']*1000))" 2>/dev/null \
    || grep -o '"median": *[0-9.e-]*' "$work/$1.json" | sed "s/^/$1 /"
}
echo "one hook decision on pve1 (median of ${RUNS:-40} runs; goal: AOT under 20 ms)"
run "AOT  host VM 106 from pve2 (refused, published)" "$aot" 106 pve2
run "AOT  Skylake-Server-IBRS VM 105 from pve4"   "$aot" 105 pve4
run "AOT  x86-64-v2-AES VM 116 from pve3"         "$aot" 116 pve3
run "JIT  host VM 106 from pve2 (refused, published)" "$jit" 106 pve2
run "JIT  Skylake-Server-IBRS VM 105 from pve4"   "$jit" 105 pve4
run "JIT  x86-64-v2-AES VM 116 from pve3"         "$jit" 116 pve3
