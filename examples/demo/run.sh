#!/usr/bin/env bash
# The wacfg demo, with no Meta account: start the bundled Graph API simulator on
# examples/sim/world.yaml, then validate -> plan (saved) -> apply the saved plan -> plan again
# (now empty), and stop the simulator. Apply waits for Meta's review of the message template.
# Everything happens in a temporary directory.
#
#   bash examples/demo/run.sh
#
# WACFG_BIN_DIR may point at already-built binaries (the test suite does this); otherwise the
# script builds them first.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${WACFG_BIN_DIR:-}" ]; then
  echo "==> building wacfg and wacfg-sim (first run takes a few minutes)"
  cargo build --quiet --workspace --bins --manifest-path "$root/Cargo.toml"
  WACFG_BIN_DIR="${CARGO_TARGET_DIR:-$root/target}/debug"
fi
WACFG_BIN_DIR=$(cd "$WACFG_BIN_DIR" && pwd)
wacfg="$WACFG_BIN_DIR/wacfg"
sim_bin="$WACFG_BIN_DIR/wacfg-sim"

work=$(mktemp -d)
cp "$root/examples/demo/wacfg.yaml" "$work/"
"$sim_bin" --world "$root/examples/sim/world.yaml" --port 0 >"$work/sim.log" 2>&1 &
sim_pid=$!
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/sim.log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "the simulator did not start:" >&2
  cat "$work/sim.log" >&2
  exit 1
fi
echo "==> simulator listening on $url"

export WACFG_GRAPH_URL="$url"
export WHATSAPP_TOKEN_ACME_FR="test-token-acme" # a fake token the simulator knows
export WEBHOOK_VERIFY_TOKEN_ACME="demo-verify-token" # a fake verify token for the webhook
cd "$work"

step() { printf '\n==> %s\n' "$*"; }

step "wacfg validate"
"$wacfg" validate

step "wacfg plan -o plan.json"
"$wacfg" plan -o plan.json

step "wacfg apply plan.json --wait=1m (and wait for Meta's template review)"
"$wacfg" apply plan.json --wait=1m

step "wacfg plan --detailed-exitcode (again: nothing left to do)"
"$wacfg" plan --detailed-exitcode

step "wacfg state list"
"$wacfg" state list

printf '\n==> demo complete: the configuration is applied and the plan is empty\n'
