#!/usr/bin/env bash
# One-command start of the i2v studio: set up if needed, check the port, log to logs/, print the address.
#   ./start_app.sh                      real model (ali-vilab/i2vgen-xl; `i2v download` fetches it)
#   I2V_MODEL=tiny ./start_app.sh       random-weight test model (no download; videos are noise)
#   I2V_PORT=7861 ./start_app.sh        another port
set -euo pipefail
cd "$(dirname "$0")"
HOST=${I2V_HOST:-127.0.0.1}
PORT=${I2V_PORT:-7860}

if [ ! -x .venv/bin/i2v ]; then
  echo "First start: setting up the Python environment (a few minutes)…"
  scripts/install.sh
fi
if ! .venv/bin/python -c "import sys; from i2v.web.ports import port_in_use; sys.exit(port_in_use('$HOST', $PORT))"; then
  echo "Port $PORT is already in use on $HOST (another i2v, or another program)." >&2
  echo "Stop it, or start on another port: I2V_PORT=7861 ./start_app.sh" >&2
  exit 1
fi
mkdir -p logs outputs
LOG="logs/app_$(date +%Y%m%d_%H%M%S).log"
SHOWN=$HOST; [ "$HOST" = "127.0.0.1" ] && SHOWN=localhost
echo "i2v studio: http://$SHOWN:$PORT/   (log: $LOG, stop with Ctrl+C)"
exec > >(tee -a "$LOG") 2>&1
exec .venv/bin/i2v --verbose serve --host "$HOST" --port "$PORT" "$@"
