#!/usr/bin/env bash
# One-command start of the i2v studio: set up if needed, check the port, log to logs/, wait until the
# server answers, then print the address (never earlier: a click on it must work).
#   ./start_app.sh                      real model (ali-vilab/i2vgen-xl; `.venv/bin/i2v download` fetches it)
#   I2V_MODEL=tiny ./start_app.sh       random-weight test model (no download; videos are noise)
#   I2V_PORT=7861 ./start_app.sh        another port
set -euo pipefail
cd "$(dirname "$0")"
HOST=${I2V_HOST:-127.0.0.1}
PORT=${I2V_PORT:-7860}
START_TIMEOUT_S=180  # importing torch, diffusers and Gradio takes 10–30 s on a small machine

if [ ! -x .venv/bin/i2v ]; then
  echo "First start: setting up the Python environment (a few minutes)…"
  I2V_EXTRAS=${I2V_EXTRAS:-voice} scripts/install.sh  # the offline English narration voice comes with it
fi
if ! .venv/bin/python -c "import sys; from i2v.web.ports import port_in_use; sys.exit(port_in_use('$HOST', $PORT))"; then
  echo "Port $PORT is already in use on $HOST (another i2v, or another program)." >&2
  echo "Stop it, or start on another port: I2V_PORT=7861 ./start_app.sh" >&2
  exit 1
fi
mkdir -p logs outputs
LOG="logs/app_$(date +%Y%m%d_%H%M%S).log"
SHOWN=$HOST; [ "$HOST" = "127.0.0.1" ] && SHOWN=localhost
CHECK=$HOST; [ "$HOST" = "0.0.0.0" ] && CHECK=127.0.0.1; [ "$HOST" = "::" ] && CHECK=::1
case $CHECK in *:*) CHECK="[$CHECK]" ;; esac

# Stopping (issue 26: Ctrl-C must exit 130 every time, and leave no process behind). The traps are
# set before anything starts, so a Ctrl-C at any moment is handled. The server runs in its own
# process group (`set -m` for that one command): Ctrl-C reaches this script only, and this script
# stops the server. Before, the terminal's Ctrl-C also reached the server, which could finish its
# own shutdown with exit code 0 first, and on a loaded machine the script then ended with that 0.
# The server gets STOP_TIMEOUT_S to finish (its own grace for open connections and a running step is
# I2V_SHUTDOWN_GRACE_S, 2 s by default); one that has not ended by then is killed, said on screen and
# in the log (its job is taken up again at the next start), so a Ctrl-C never leaves the terminal hanging.
STOP_TIMEOUT_S=20
SERVER=""
TAIL=""
running() {  # $1 has not ended (an ended child stays a zombie, "Z", until `wait` collects it)
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${state#Z}" = "$state" ]
}
stop_server() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq $((STOP_TIMEOUT_S * 5))); do running "$SERVER" || break; sleep 0.2; done
    if running "$SERVER"; then
      echo "i2v did not stop within $STOP_TIMEOUT_S s; ending it now." | tee -a "$LOG" >&2
      kill -KILL "$SERVER" 2>/dev/null || true
    fi
    wait "$SERVER" 2>/dev/null || true
  fi
  if [ -n "$TAIL" ]; then  # tail would otherwise notice the server's end only at its next poll
    kill -TERM "$TAIL" 2>/dev/null || true
    wait "$TAIL" 2>/dev/null || true
  fi
}
trap 'trap "" INT; echo; echo "Stopping i2v…"; stop_server; exit 130' INT
trap 'trap "" TERM; stop_server; exit 143' TERM
trap 'trap "" HUP; stop_server; exit 129' HUP  # the terminal was closed

set -m
.venv/bin/i2v --verbose serve --host "$HOST" --port "$PORT" "$@" >>"$LOG" 2>&1 &
SERVER=$!
set +m

did_not_start() {  # $1: why
  echo >&2
  echo "i2v did not come up: $1" >&2
  echo "The last lines of $LOG:" >&2
  tail -n 25 "$LOG" | sed 's/^/  | /' >&2
  echo "Run .venv/bin/i2v doctor to check the machine, or ask for help with the whole log." >&2
}

# /api/v1/health answers once the server is up; it prints the model's state ("ready", "missing", …).
health() {
  .venv/bin/python - "http://$CHECK:$PORT/api/v1/health" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
    print(json.load(answer)["model"]["state"])
PY
}

printf "Starting the i2v studio on port %s (log: %s) " "$PORT" "$LOG"
STATE=""
for _ in $(seq "$START_TIMEOUT_S"); do
  if ! kill -0 "$SERVER" 2>/dev/null; then
    CODE=0; wait "$SERVER" || CODE=$?
    did_not_start "the server stopped (exit code $CODE)."
    exit 1
  fi
  if STATE=$(health); then break; fi
  printf "."
  sleep 1
done
if [ -z "$STATE" ]; then
  did_not_start "no answer from http://$CHECK:$PORT/api/v1/health after $START_TIMEOUT_S s."
  stop_server
  exit 1
fi
echo " ready."
echo "i2v studio: http://$SHOWN:$PORT/   (log: $LOG, stop with Ctrl+C)"
case $STATE in
  missing) echo "Note: the model's weights are not on this computer yet; the studio shows how to get them." ;;
  failed)  echo "Note: the model could not be loaded; the studio and .venv/bin/i2v doctor say why." ;;
esac
tail -n 0 -f --pid="$SERVER" "$LOG" &  # from here on, the log also shows here
TAIL=$!
# Until Ctrl-C (the trap exits) or the server stops on its own (then its exit code is ours).
CODE=0; wait "$SERVER" || CODE=$?
SERVER=""
stop_server
exit "$CODE"
