#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; no browser download needed).
set -euo pipefail
# Also the npm packages the lesson-package browser tests load from disk (tests/support/npm):
# scorm-again (the LMS side of SCORM 1.2). --ignore-scripts: scorm-again's
# preinstall only insists on pnpm for its own development.
# Only what is missing: a machine whose Node.js came from elsewhere (NodeSource's nodejs bundles
# npm) cannot take Debian's npm beside it ("nodejs : Conflicts: npm").
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  chromium --version >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  (cd "$(dirname "$0")/../tests/support/npm" && npm ci --ignore-scripts --no-audit --no-fund --silent)
else
  echo "npm missing: the SCORM browser test will be skipped (apt-get install npm)" >&2
fi
