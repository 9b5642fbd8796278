#!/usr/bin/env bash
# Drive the seed-style endpoints with Apache Bench: many small ab runs over the payload corpus, each as
# one user (X-User-Id, or the Host header as the original tests did). Prints ab's summary per run and a
# total; exits 1 when any request failed or was not answered 2xx. Needs only bash, ab and coreutils, so
# the Kubernetes load Job runs it as is.
set -euo pipefail

usage() {
  cat <<EOF
usage: $0 [-n total] [-c concurrency] [-u users] [-r run_size] [-p user_prefix] [-U api_url] [-s seed]

Every flag defaults to an environment variable:
  -n  AB_TOTAL        total requests over all runs            (default 1000)
  -c  AB_CONCURRENCY  concurrent requests within one ab run   (default 4)
  -u  AB_USERS        distinct users                          (default 50)
  -r  AB_RUN_SIZE     requests per ab run                     (default 20)
  -p  AB_USER_PREFIX  prefix of every user id                 (default ab-<random>)
  -U  API_URL         base URL of the API                     (default http://127.0.0.1:5000)
  -s  AB_SEED         seed of the choice of endpoint, payload and user per run (default 1)
Also: AB_PAYLOADS (payload folder, default: next to this script), AB_API_KEY (sent as X-Api-Key),
AB_TIMEOUT (seconds per request, default 30), AB_KEEPALIVE (1 = HTTP keep-alive, the default; 0 = off).
EOF
}

total=${AB_TOTAL:-1000}
concurrency=${AB_CONCURRENCY:-4}
users=${AB_USERS:-50}
run_size=${AB_RUN_SIZE:-20}
prefix=${AB_USER_PREFIX:-ab-$(date +%s)-$$}
api_url=${API_URL:-http://127.0.0.1:5000}
seed=${AB_SEED:-1}
payloads=${AB_PAYLOADS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/payloads}
timeout=${AB_TIMEOUT:-30}
keepalive=${AB_KEEPALIVE:-1}

while getopts "n:c:u:r:p:U:s:h" opt; do
  case $opt in
    n) total=$OPTARG ;;
    c) concurrency=$OPTARG ;;
    u) users=$OPTARG ;;
    r) run_size=$OPTARG ;;
    p) prefix=$OPTARG ;;
    U) api_url=$OPTARG ;;
    s) seed=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

for pair in "AB_TOTAL:$total" "AB_CONCURRENCY:$concurrency" "AB_USERS:$users" "AB_RUN_SIZE:$run_size" \
            "AB_SEED:$seed" "AB_TIMEOUT:$timeout"; do
  if ! [[ ${pair#*:} =~ ^[0-9]+$ ]] || (( ${pair#*:} < 1 )); then
    echo "ab-load: ${pair%%:*} must be a positive integer, got '${pair#*:}'" >&2
    exit 2
  fi
done
if ! [[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]]; then
  echo "ab-load: AB_USER_PREFIX must be letters, digits, '.' and '-', got '$prefix'" >&2
  exit 2
fi
command -v ab >/dev/null || { echo "ab-load: ab not found (Debian package apache2-utils)" >&2; exit 2; }

shopt -s nullglob
weapon_files=("$payloads"/weapon/*.json)
guild_files=("$payloads"/guild/*.json)
battle_files=("$payloads"/battle/*.json)
if (( ${#weapon_files[@]} == 0 || ${#guild_files[@]} == 0 || ${#battle_files[@]} == 0 )); then
  echo "ab-load: no payloads under $payloads/{weapon,guild,battle}" >&2
  exit 2
fi
# Networks the API sees as the Host header of users told apart by X-User-Id.
networks=(fiber.brightnet.example cable.homelink.example lte.northwind-mobile.example
          5g.skyward-telecom.example prepaid.budgetcell.example)
api_url=${api_url%/}
ab_flags=(-q -l -s "$timeout")
[[ $keepalive == 1 ]] && ab_flags+=(-k)
key_header=()
[[ -n ${AB_API_KEY:-} ]] && key_header=(-H "X-Api-Key: $AB_API_KEY")

RANDOM=$seed
runs=$(( (total + run_size - 1) / run_size ))
sum_complete=0 sum_failed=0 sum_non2xx=0 remaining=$total
started_ms=$(date +%s%3N)
echo "ab-load: $total requests to $api_url in $runs runs of <= $run_size, concurrency $concurrency," \
     "$users users with prefix $prefix"

for (( run = 1; run <= runs; run++ )); do
  n=$(( remaining < run_size ? remaining : run_size ))
  remaining=$(( remaining - n ))
  c=$(( concurrency < n ? concurrency : n ))
  # Mix: half battles, a quarter purchases, a tenth guild joins, the rest visits to the root.
  pick=$(( RANDOM % 100 ))
  payload=""
  if (( pick < 50 )); then path=/enter_a_battle; payload=${battle_files[RANDOM % ${#battle_files[@]}]}
  elif (( pick < 75 )); then path=/purchase_a_weapon; payload=${weapon_files[RANDOM % ${#weapon_files[@]}]}
  elif (( pick < 85 )); then path=/join_a_guild; payload=${guild_files[RANDOM % ${#guild_files[@]}]}
  else path=/; fi
  user_n=$(( RANDOM % users ))
  if (( RANDOM % 4 == 0 )); then
    user="$prefix-u$user_n.players.example"  # the user is the Host header
    identity=(-H "Host: $user")
  else
    user="$prefix-u$user_n"
    identity=(-H "X-User-Id: $user" -H "Host: ${networks[RANDOM % ${#networks[@]}]}")
  fi
  body=()
  [[ -n $payload ]] && body=(-p "$payload" -T application/json)
  method=$([[ -n $payload ]] && echo POST || echo GET)

  status=0
  output=$(ab "${ab_flags[@]}" -n "$n" -c "$c" "${body[@]}" "${identity[@]}" "${key_header[@]}" \
              "$api_url$path" 2>&1) || status=$?
  complete=0 failed=0 non2xx=0 rps="?"
  while IFS= read -r line; do
    if [[ $line =~ ^Complete\ requests:\ +([0-9]+) ]]; then complete=${BASH_REMATCH[1]}
    elif [[ $line =~ ^Failed\ requests:\ +([0-9]+) ]]; then failed=${BASH_REMATCH[1]}
    elif [[ $line =~ ^Non-2xx\ responses:\ +([0-9]+) ]]; then non2xx=${BASH_REMATCH[1]}
    elif [[ $line =~ ^Requests\ per\ second:\ +([0-9.]+) ]]; then rps=${BASH_REMATCH[1]}
    fi
  done <<< "$output"
  if (( status != 0 )); then
    # ab gave up (e.g. connection refused): count every request of the run as failed.
    failed=$(( n - complete > failed ? n - complete : failed ))
    echo "ab-load: ab exited $status: ${output##*$'\n'}" >&2
  fi
  sum_complete=$(( sum_complete + complete ))
  sum_failed=$(( sum_failed + failed ))
  sum_non2xx=$(( sum_non2xx + non2xx ))
  echo "run $run/$runs $method $path payload=${payload#"$payloads"/} user=$user n=$n c=$c:" \
       "$complete complete, $failed failed, $non2xx non-2xx, $rps req/s"
done

elapsed_ms=$(( $(date +%s%3N) - started_ms ))
(( elapsed_ms > 0 )) || elapsed_ms=1
rate_x10=$(( sum_complete * 10000 / elapsed_ms ))
echo "total: $sum_complete requests in $(( elapsed_ms / 1000 )).$(printf %03d $(( elapsed_ms % 1000 )))s" \
     "= $(( rate_x10 / 10 )).$(( rate_x10 % 10 )) req/s overall; $sum_failed failed, $sum_non2xx non-2xx"
if (( sum_failed > 0 || sum_non2xx > 0 || sum_complete < total )); then
  echo "ab-load: FAILED ($sum_failed failed, $sum_non2xx non-2xx, $(( total - sum_complete )) not completed)" >&2
  exit 1
fi
