#!/usr/bin/env bash
# Prints the README's reliability table, measured: the fault catalogue against
# every probe kind, the key exchange under every fault, the bad-input corpus
# and the canary search (tests/it/reliability.rs), then the outcome of the last
# fuzz runs (fuzz/logs/*.log, written by scripts/fuzz.sh) when there are any.
# Exits non-zero on any panic, hang, leak or repeated mutation.
# Usage: scripts/reliability.sh [--write README.md]: with --write, the section
# between the reliability markers of that file is replaced by the output.
set -euo pipefail
cd "$(dirname "$0")/.."
write=""
[ "${1:-}" = "--write" ] && write="${2:?--write needs a file}"
out="$(cargo test --locked --test it reliability_table -- --ignored --nocapture 2>/dev/null)" || {
  echo "$out" | tail -40 >&2
  exit 1
}
table() {
echo "$out" | sed -n '/<!-- reliability:begin -->/,/<!-- reliability:end -->/p' | grep -v 'reliability:end'
if compgen -G "fuzz/logs/*.log" >/dev/null; then
  echo
  echo "| fuzz target | time | executions | exec/s | coverage (edges) | corpus | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for log in fuzz/logs/*.log; do
    t="$(basename "$log" .log)"
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    [ -z "$done_line" ] && continue
    secs="$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || echo '?')"
    runs="$(grep -oE 'number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
    eps="$(grep -oE 'average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
    cov="$(echo "$done_line" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')"
    corp="$(echo "$done_line" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+')"
    crashes="$(grep -cE 'panicked|^==[0-9]+== ERROR|SUMMARY: libFuzzer' "$log" || true)"
    echo "| \`$t\` | ${secs} s | $runs | $eps | $cov | $corp | $crashes |"
  done
fi
echo "<!-- reliability:end -->"
}
if [ -z "$write" ]; then
  table
  exit 0
fi
table > /tmp/golive-reliability.$$
python3 - "$write" /tmp/golive-reliability.$$ <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
start = text.index("<!-- reliability:begin -->")
end = text.index("<!-- reliability:end -->") + len("<!-- reliability:end -->\n")
# Without fuzz logs here, the fuzz rows of the last fuzz run stay as they were.
old = text[start:end]
if "| fuzz target |" not in section and "| fuzz target |" in old:
    fuzz = old[old.index("| fuzz target |"):old.index("<!-- reliability:end -->")]
    section = section.replace("<!-- reliability:end -->", "\n" + fuzz + "<!-- reliability:end -->")
open(path, "w").write(text[:start] + section + text[end:])
PY
rm -f /tmp/golive-reliability.$$
echo "wrote the reliability tables into $write"
