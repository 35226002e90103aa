#!/bin/sh
# The scale figures in one command: builds Release, runs the scale harness with the issue's parameters
# (64 nodes, 10,000 VMs, 2 ms per API request; 32 SSH nodes at 200 ms), the BenchmarkDotNet suite with a
# short job, then every fuzzer with 10,000 cases. Extra arguments go to the harness (e.g. --parallelism 32).
# Needs root and openssh-server for the SSH row (it is skipped otherwise); /usr/bin/time (package "time") for peak RSS.
set -eu
cd "$(dirname "$0")/.."
bench=tests/ProxClmc.Guard.Benchmarks

dotnet build -c Release "$bench"
dotnet run -c Release --no-build --project "$bench" -- scale --nodes 64 --vms 10000 --latency-ms 2 --ssh-nodes 32 --ssh-delay-ms 200 "$@"
dotnet run -c Release --no-build --project "$bench" -- bench --filter '*' --job short

for project in tests/ProxClmc.Guard.Core.Tests tests/ProxClmc.Guard.Cli.Tests tests/ProxClmc.Guard.Infrastructure.Tests; do
  PROXCLMC_FUZZ_CASES=10000 dotnet test "$project" --filter "FullyQualifiedName~Fuzz|FullyQualifiedName~Arbitrary_bytes|FullyQualifiedName~Any_name_and_value"
done
