#!/usr/bin/env bash
# Debian packages the tests use besides Chromium: poppler-utils (pdftoppm, pdftotext), which render
# and read back the lesson handout PDFs. The app itself needs neither.
set -euo pipefail
if command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq poppler-utils >/dev/null
pdftoppm -v 2>&1 | head -n 1
