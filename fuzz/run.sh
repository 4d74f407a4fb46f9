#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after another:
#   fuzz/run.sh [SECONDS] [TARGET...]
# Each starts from its committed seeds (fuzz/seeds/<target>) and the inputs of crashes found
# and fixed (fuzz/regressions/<target>); what it learns goes to fuzz/corpus/<target> (not
# committed). Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# `.ci/run` runs it for a few seconds a target so the targets keep compiling and the known
# crashes stay fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-10}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
cargo +nightly fuzz build -O
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "regressions/$target"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -O "$target" "corpus/$target" "seeds/$target" "regressions/$target" \
      -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    cat "$log"
    echo "fuzz target $target failed: the crashing input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  echo "$target: ${runs:-?} executions in ${seconds} s"
  rm -f "$log"
done
