#!/usr/bin/env bash
# The documentation matches the repository:
# 1. every path of this repository that README.md and ARCHITECTURE.md name
#    exists: a file or folder under src/, crates/, tests/, probes/, fixtures/, docs/,
#    schema/, scripts/, benches/, fuzz/, ci/, .github/, .ci/ or .cargo/, or a
#    glob (probes/*.toml) that matches something; templates
#    (`src/probe/<kind>.rs`) are skipped, and a position (`probes/axys.toml:212`)
#    is its file, and so is a test (`tests/it/schema.rs::name`);
# 2. once Cargo.toml names golive's `repository`, no `OWNER/REPO` or
#    `<clone URL>` placeholder is left where users copy from.
# .ci/run runs it; it prints each problem and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
problems=0
named="$(grep -ohE '(^|[`( [])(\./)?(src|crates|tests|probes|fixtures|docs/partners|docs/runbooks|schema|scripts|benches|fuzz|ci|\.github|\.ci|\.cargo)/[^]` )]*' README.md ARCHITECTURE.md |
  sed -E 's/^[`( []//; s/::[A-Za-z_].*$//; s/[.,;:]+$//; s/:[0-9]+$//' | sort -u)"
while IFS= read -r path; do
  case "$path" in
    *'<'* | *'{'* | '') continue ;;
    # Made by scripts/fuzz.sh when it finds something; not kept in git.
    fuzz/artifacts/) continue ;;
  esac
  # A glob expands to what it matches (nothing: empty); a plain path stays itself.
  # shellcheck disable=SC2206
  matches=($path)
  if [ "${#matches[@]}" -eq 0 ] || [ ! -e "${matches[0]}" ]; then
    echo "README.md or ARCHITECTURE.md names $path, which does not exist" >&2
    problems=1
  fi
done <<<"$named"

if grep -qE '^repository *= *"' Cargo.toml; then
  for file in README.md action.yml .github/workflows/golive-gate.example.yml ci/gitlab/golive.gitlab-ci.yml; do
    if grep -nE 'OWNER/REPO|<clone URL>' "$file" >&2; then
      echo "$file still has the placeholders above, though Cargo.toml names the repository: replace them" >&2
      problems=1
    fi
  done
fi
exit "$problems"
