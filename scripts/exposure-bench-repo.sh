#!/usr/bin/env bash
# Makes the repository the exposure benchmark scans (issue 18): COMMITS
# commits on main (default 20,000), each adding or rewriting one text file of
# about BLOB_KB KB (default 56: 1.1 GB in all), so the history holds >= 1 GB of distinct
# blobs spread over 20,000 paths, plus a branch every 1,000 commits. Written
# with `git fast-import` in one stream: about a minute on a 2-core machine.
#
#   scripts/exposure-bench-repo.sh DIR [COMMITS] [BLOB_KB]
#
# Needs git and python3 (which only writes the fast-import stream). The
# content is log-like text with random tokens, as incompressible as real
# source with hashes and ids: nothing in it is a secret the bench searches for.
set -euo pipefail
dir="${1:?usage: $0 DIR [COMMITS] [BLOB_KB]}"
commits="${2:-20000}"
blob_kb="${3:-56}"
[ -e "$dir" ] && { echo "$dir exists; remove it or pick another path" >&2; exit 2; }
mkdir -p "$dir"
git -C "$dir" init -q -b main
python3 - "$commits" "$blob_kb" <<'PY' | git -C "$dir" fast-import --quiet --depth=0 --big-file-threshold=64m
import base64, os, sys
commits, blob_kb = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
when = 1700000000
for i in range(1, commits + 1):
    raw = os.urandom(blob_kb * 1024 * 3 // 4 // 2)
    token = base64.b64encode(raw)
    lines = []
    for j in range(0, len(token), 64):
        lines.append(b"2026-11-27T10:%02d:%02dZ INFO order=%d amount=%d token=%s\n"
                     % (i % 60, j % 60, i * 1000 + j, (i * 37 + j) % 100000, token[j:j + 64]))
    data = b"".join(lines)
    path = b"src/m%03d/f%05d.txt" % (i % 200, i % 20000)
    out.write(b"blob\nmark :%d\ndata %d\n" % (2 * i, len(data)))
    out.write(data)
    out.write(b"\n")
    msg = b"change %d\n" % i
    out.write(b"commit refs/heads/main\nmark :%d\n" % (2 * i + 1))
    out.write(b"committer Bench <bench@golive.test> %d +0000\n" % (when + i))
    out.write(b"data %d\n%s" % (len(msg), msg))
    if i > 1:
        out.write(b"from :%d\n" % (2 * i - 1))
    out.write(b"M 100644 :%d %s\n\n" % (2 * i, path))
    if i % 1000 == 0:
        out.write(b"reset refs/heads/release-%d\nfrom :%d\n\n" % (i // 1000, 2 * i + 1))
PY
git -C "$dir" checkout -q main
echo "$dir: $(git -C "$dir" rev-list --all --count) commits, $(du -sh "$dir/.git" | cut -f1) in .git"
