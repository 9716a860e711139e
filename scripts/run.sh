#!/usr/bin/env bash
# Quick start, command 1: set everything up, then run the server on its laptop defaults
# (data in ./var, API on http://127.0.0.1:8080, media on 127.0.0.1). Extra arguments go to mcu.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec build/bin/mcu "$@"
