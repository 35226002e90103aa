#!/usr/bin/env bash
# CI release check for the NativeAOT binary (called by .ci/run): publish with
# trim/AOT warnings as errors, then smoke-run it against the lab cluster and
# compare its answers with the JIT build's. See tools/publish-aot.sh.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/publish-aot.sh" --smoke "$@"
