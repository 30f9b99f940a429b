#!/usr/bin/env bash
# Install everything the tests need (venv, test extras, Chromium, poppler) and run the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k engine
set -euo pipefail
cd "$(dirname "$0")/.."
I2V_EXTRAS=test scripts/install.sh
scripts/install_browser.sh
scripts/install_system_deps.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Test modules run in parallel processes (pytest-xdist), each module whole in one of them: much of
# the suite waits on servers, browsers and subprocesses, so two processes finish sooner even on two
# cores. I2V_TEST_WORKERS=0 runs everything in this one process.
workers="${I2V_TEST_WORKERS:-$(( $(nproc) < 4 ? 2 : 4 ))}"
parallel=()
if [ "$workers" != "0" ]; then parallel=(-n "$workers" --dist loadfile); fi
exec .venv/bin/python -m pytest "${parallel[@]}" "$@"
