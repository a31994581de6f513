#!/usr/bin/env bash
# Sets up, builds and runs a local broadcast on loopback: the broadcaster on
# built-in test media, two relays in a chain and one viewer at depth 3. The
# viewer opens a window when there is a display, otherwise it plays headless
# and says so. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh

bin=build
logs=build/demo
mkdir -p "$logs"
pids=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  # Leaves first, so each parent sees its children go.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -INT "${pids[i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  echo "demo: stopped (logs in $logs/)"
}
trap stop_all INT TERM EXIT

# Starts a program in the background, its stdout to $logs/NAME.out, and waits
# (up to 15 s) for its "listening on HOST:PORT" line; sets $port.
start() {
  local name=$1
  shift
  "$@" >"$logs/$name.out" 2>"$logs/$name.log" &
  pids+=($!)
  for _ in $(seq 150); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$logs/$name.out" | head -n1)
    [ -n "$port" ] && return 0
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "demo: $name failed to start:" >&2
      cat "$logs/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "demo: $name did not start listening in time (see $logs/$name.log)" >&2
  exit 1
}

start broadcaster "$bin/broadcaster/treecast-broadcaster" --listen 127.0.0.1:0 \
  --key "$logs/broadcaster.key"
for _ in $(seq 50); do
  relay_query=$(sed -n 's/^relay-link: [^?]*\(?.*\)$/\1/p' "$logs/broadcaster.out")
  viewer_query=$(sed -n 's/^link: [^?]*\(?.*\)$/\1/p' "$logs/broadcaster.out")
  [ -n "$relay_query" ] && [ -n "$viewer_query" ] && break
  sleep 0.1
done
echo "demo: broadcaster on 127.0.0.1:$port ($(grep '^link:' "$logs/broadcaster.out"))"
# A chain for the demo: each peer is given the previous one's address.
start relay1 "$bin/relay/treecast-relay" "treecast://127.0.0.1:$port/$relay_query" \
  --listen 127.0.0.1:0
echo "demo: relay 1 on 127.0.0.1:$port"
start relay2 "$bin/relay/treecast-relay" "treecast://127.0.0.1:$port/$relay_query" \
  --listen 127.0.0.1:0
echo "demo: relay 2 on 127.0.0.1:$port"
# The viewer also serves the stream to browsers on this machine: open the
# "browsers watch at" address it prints.
"$bin/viewer/treecast-viewer" "treecast://127.0.0.1:$port/$viewer_query" --listen 127.0.0.1:0 \
  --serve-browsers 127.0.0.1:0 \
  2> >(grep --line-buffered -v '^ALSA lib\|^AL lib' >&2) &
pids+=($!)
echo "demo: viewer started at depth 3; its status line follows (and the address a browser"
echo "demo: watches at). Ctrl-C stops everything."
wait "${pids[-1]}" || true
