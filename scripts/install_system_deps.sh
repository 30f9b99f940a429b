#!/usr/bin/env bash
# Debian packages the tests use besides Chromium: poppler-utils (pdftoppm, pdftotext), which render
# and read back the lesson handout PDFs; espeak-ng, the offline Chinese narration voice (the app uses
# it too when a lesson is narrated in Chinese: README "Narration"); and redis-server, the real Redis the several-machines tests
# (tests/distributed/) start on a loopback port of their own. The app itself needs neither (a studio
# with GPU workers on other machines needs a Redis somewhere: README "Several GPU machines").
set -euo pipefail
missing=()
command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# The tests never use a Redis the package may start as a service: they start their own on a free port.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
pdftoppm -v 2>&1 | head -n 1
redis-server --version
espeak-ng --version
