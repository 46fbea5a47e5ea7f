#!/usr/bin/env bash
# Fixed cost of one golive process that checks one endpoint (issue 19):
# a single mTLS GET with four JSON assertions against `openssl s_server`
# on 127.0.0.1, which requires a client certificate. Prints hyperfine's
# wall time (if installed) and perf stat's CPU time (if installed), and can
# record a profile.
#
#   scripts/single-probe.sh [GOLIVE_BINARY]        # default: target/release/golive
#   PROFILE=out.data scripts/single-probe.sh       # also `perf record -g` one run
#   WRAP="strace -f -c" scripts/single-probe.sh    # run once more under a wrapper
#
# Needs openssl. Certificates are made here with openssl (ECDSA P-256 CA and
# server, RSA-2048 client as Axys issues) in a temporary folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/release/golive}"
[ -x "$bin" ] || { echo "no golive binary at $bin (cargo build --release)" >&2; exit 2; }
dir="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=bench CA"
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
q openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=bench-client"
q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.crt -days 30 \
  -extfile <(printf 'extendedKeyUsage=clientAuth\n')
mkdir -p www/v2
printf '{"status":"success","items":[],"total":0,"limit":50,"offset":0}' > www/v2/cardholders
port=$(( 20000 + RANDOM % 20000 ))
(cd www && exec openssl s_server -quiet -accept "127.0.0.1:$port" -cert ../server.pem -key ../server.key \
  -CAfile ../ca.pem -Verify 1 -WWW) >/dev/null 2>&1 &
server_pid=$!
cat > pack.toml <<TOML
[pack]
name = "bench"
title = "Single probe"
runbook = "bench"

[[probe]]
id = "get"
kind = "http"
title = "GET /cardholders"
[probe.params]
method = "GET"
url = "\${base_url}/cardholders"
expect_status = 200
assert = [
  { path = "\$.status", equals = "success" },
  { path = "\$.total", equals = 0 },
  { path = "\$.limit", equals = 50 },
  { path = "\$.offset", equals = 0 },
]
TOML
cat > golive.toml <<TOML
[env.bench]
pack = "pack.toml"
base_url = "https://127.0.0.1:$port/v2"
client_cert = "client.crt"
client_key = "client.key"
ca_bundle = "ca.pem"
stage = "staging"
TOML
cmd=("$bin" verify --config "$dir/golive.toml" --env bench --no-progress)
for _ in $(seq 50); do "${cmd[@]}" >/dev/null 2>&1 && break; sleep 0.1; done
"${cmd[@]}" >/dev/null || { "${cmd[@]}"; exit 1; }
echo "== $("$bin" --version) on $(uname -srm), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== ${cmd[*]}"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 --runs 30 "${cmd[*]}" 2>/dev/null | sed -n '2,4p'
fi
if command -v perf >/dev/null; then
  perf stat -r 30 -e task-clock "${cmd[@]}" 2>&1 >/dev/null | grep -E 'task-clock|elapsed'
  if [ -n "${PROFILE:-}" ]; then
    perf record -q -F 20000 -g -o "$PROFILE" "${cmd[@]}" >/dev/null 2>&1
    echo "profile written to $PROFILE (perf report -i $PROFILE)"
  fi
fi
if [ -n "${WRAP:-}" ]; then
  # shellcheck disable=SC2086
  $WRAP "${cmd[@]}" >/dev/null
fi
