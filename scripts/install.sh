#!/usr/bin/env bash
# Create .venv (if missing) and install i2v into it. Safe to run again; fast when nothing changed.
#
# PyTorch is pinned to 2.13.0 and installed first: on Linux, PyPI's wheel of that version is the
# CUDA build (what a teacher's GPU machine needs), and machines that keep a local CPU wheel of it
# (CI here) take that instead. A loose range would pull a newer multi-GB CUDA build every time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${I2V_TORCH_VERSION:-2.13.0}

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "Installing torch==$TORCH_VERSION"
  "${PIP[@]}" "torch==$TORCH_VERSION"
fi
EXTRAS=${I2V_EXTRAS:-}
echo "Installing i2v${EXTRAS:+[$EXTRAS]}"
"${PIP[@]}" -e ".${EXTRAS:+[$EXTRAS]}" 2>&1 | { grep -v "^WARNING: Location" || true; }
.venv/bin/python -c "import torch, i2v; print(f'i2v {i2v.__version__}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}')"
