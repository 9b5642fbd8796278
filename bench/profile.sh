#!/usr/bin/env bash
# Profile the API under load: start a bench instance of it (same gunicorn config, own topic), drive it
# with ab (single-event, then 100-event batches) and record one worker with py-spy. Writes flame graphs
# (SVG) and the top frames by own time, counted only while a thread holds the GIL (= Python CPU),
# into var/bench/profile/. Usage: bench/profile.sh [seconds per load, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
out=var/bench/profile
mkdir -p "$out"
py=.venv/bin/python
topic=bench.profile.$(date +%s)
$py -c "from questlog_stack.bootstrap import create_topics; create_topics(topics={'$topic': 3, '$topic.dlq': 3})"
GUNICORN_BIND=127.0.0.1:5002 QUESTLOG_API_TOPIC=$topic QUESTLOG_API_DLQ_TOPIC=$topic.dlq \
  setsid .venv/bin/gunicorn -c services/api/gunicorn.conf.py >"$out/api.log" 2>&1 &
leader=$!
trap 'kill -TERM -- -$leader 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf 127.0.0.1:5002/readyz >/dev/null && break; sleep 0.5; done
worker=$(pgrep -P "$leader" | head -1)
$py -c "
from pathlib import Path
from questlog_bench.payloads import write_batch_file, write_single_file
write_single_file(Path('$out/single.json')); write_batch_file(Path('$out/batch100.json'), 100, 'bench-profile-')"
for kind in single batch100; do
  url=http://127.0.0.1:5002/purchase_a_weapon
  [[ $kind == batch100 ]] && url=http://127.0.0.1:5002/v1/events
  ab -k -q -l -c 16 -t $((secs + 4)) -n 10000000 -p "$out/$kind.json" -T application/json -H 'X-User-Id: bench-profile' \
    "$url" >"$out/ab-$kind.txt" 2>&1 &
  abpid=$!
  sleep 2
  .venv/bin/py-spy record -p "$worker" -d "$secs" -r 200 --gil --nonblocking -f raw -o "$out/$kind.raw" >/dev/null 2>&1
  .venv/bin/py-spy record -p "$worker" -d 5 -r 200 --gil --nonblocking -o "$out/$kind.svg" >/dev/null 2>&1 || true
  wait $abpid
  grep "Requests per second" "$out/ab-$kind.txt"
  $py -m questlog_bench.flame "$out/$kind.raw" | tee "$out/$kind.top.txt"
done
