#!/usr/bin/env bash
# Runs golive's coverage-guided fuzz targets (cargo-fuzz / libFuzzer) with the
# stable toolchain (RUSTC_BOOTSTRAP=1 enables the nightly-only flags cargo-fuzz
# needs). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Default: 600 s for each of config, pack, pem, webhook_header, one at a time.
# Seeds come from fixtures/; findings land in fuzz/artifacts/TARGET/, logs in
# fuzz/logs/TARGET.log (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(config pack pem webhook_header)
command -v cargo-fuzz >/dev/null || { echo "install cargo-fuzz: cargo install cargo-fuzz --locked" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/logs
seed() {
  local t="$1"; shift
  mkdir -p "fuzz/corpus/$t"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "fuzz/corpus/$t/seed-$(basename "$f")"; done
  return 0
}
seed config fixtures/config/*.toml
seed pack probes/*.toml fixtures/config/packs/*.toml
seed pem fixtures/pem/*
seed webhook_header
printf 'v1,dGVzdA== v1,YWJj\nmsg_1\n1750000000' > fuzz/corpus/webhook_header/seed-standard
printf 't=1750000000,v1=abcdef0123,v0=zz' > fuzz/corpus/webhook_header/seed-stripe
printf 'sha256=0123456789abcdef' > fuzz/corpus/webhook_header/seed-github
# Sanitizer "none": golive is safe Rust; we look for panics, overflows and
# hangs, and skipping ASan makes every execution several times faster.
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${secs}s"
  cargo fuzz run --sanitizer none "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    2>&1 | tee "fuzz/logs/$t.log" | grep -E '^(#[0-9]+[[:space:]]+DONE|stat::|==|Done|SUMMARY|.*panicked)' || true
done
# Any finding fails the script: fix it, add a regression test named after it, rerun.
if compgen -G "fuzz/artifacts/*/*" >/dev/null; then
  echo "findings:" >&2
  ls fuzz/artifacts/*/* >&2
  exit 1
fi
