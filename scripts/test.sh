#!/usr/bin/env bash
# Install everything the tests need (venv, test extras, Chromium, poppler) and run the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k engine
set -euo pipefail
cd "$(dirname "$0")/.."
I2V_EXTRAS=test scripts/install.sh
scripts/install_browser.sh
scripts/install_system_deps.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest "$@"
