#!/bin/sh
# The client-cost figures in one command: every row of the table in README "Measured speed", each printed next to its
# goal and the reference it is compared with, measured in the same run.
#
#   tools/bench.sh [--fuzz] [--profile DIR] [harness options: --proxclmc PATH, --format json, --cases ssh,hook, --runs N, ...]
#
# Builds the NativeAOT binary when missing (tools/publish-aot.sh) and the Release build, then runs the scale harness
# with the parameters of README "Measured speed" (64 nodes, 10,000 VMs, 2 ms per API request, [api] parallelism 8; one SSH
# node, 32 SSH nodes, 32 SSH nodes at 200 ms, a silent node and a refused port at the default [ssh] parallelism; one hook
# decision against --version), every row on the shipped NativeAOT binary (`--cli PATH` measures the
# API and table rows on another build, such as the JIT one in src/ProxClmc.Guard/bin/Release), counting instructions with valgrind where it is installed (a ratio
# that load on the machine does not move), then the BenchmarkDotNet suite (allocations of evaluation, table rendering
# and the parsers). ProxCLMC is compared only when --proxclmc gives a binary built elsewhere
# (../shared/peers/build-proxclmc.sh builds one): each SSH case then runs ours and ProxCLMC interleaved, run by run, on
# the same sshd nodes listening on port 22, and prints minimum and median of wall and CPU time with the load average.
# --profile DIR keeps the callgrind profiles (--version, hook decision, baseline over SSH of one node) and prints the
# top inclusive functions of each. --fuzz also runs every fuzzer with 10,000 cases.
# Needs root and openssh-server for the SSH rows (skipped otherwise), python3 for CPU times.
set -eu
cd "$(dirname "$0")/.."
bench=tests/ProxClmc.Guard.Benchmarks
fuzz=0
profile=""
format=table
pass=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz) fuzz=1 ;;
    --profile) profile=$(realpath -m "$2"); shift ;;
    --format) format=$2; pass="$pass --format $2"; shift ;;
    *) pass="$pass $1" ;;
  esac
  shift
done

[ -x artifacts/aot/proxclmc-guard ] || tools/publish-aot.sh >&2
dotnet build -c Release "$bench" -v q -nologo >&2
instructions=""
command -v valgrind >/dev/null && instructions="--instructions"
[ -n "$profile" ] && instructions="--profile-dir $profile"
# shellcheck disable=SC2086 # the options are words
dotnet run -c Release --no-build --project "$bench" -- scale --nodes 64 --vms 10000 --latency-ms 2 --parallelism 8 \
  --ssh-nodes 32 --ssh-delay-ms 200 --aot artifacts/aot/proxclmc-guard --cli artifacts/aot/proxclmc-guard $instructions $pass

if [ -n "$profile" ] && command -v callgrind_annotate >/dev/null; then
  for f in "$profile"/callgrind.*.out; do
    echo "== $(basename "$f"): top inclusive functions"
    callgrind_annotate --inclusive=yes "$f" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -25 | cut -c1-200
  done
fi

[ "$format" = json ] && exit 0
dotnet run -c Release --no-build --project "$bench" -- bench --filter '*' --job short

if [ "$fuzz" = 1 ]; then
  for project in tests/ProxClmc.Guard.Core.Tests tests/ProxClmc.Guard.Cli.Tests tests/ProxClmc.Guard.Infrastructure.Tests; do
    PROXCLMC_FUZZ_CASES=10000 dotnet test "$project" --filter "FullyQualifiedName~Fuzz|FullyQualifiedName~Arbitrary_bytes|FullyQualifiedName~Any_name_and_value"
  done
fi
