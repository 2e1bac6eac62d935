#!/usr/bin/env bash
# Install everything and run fupin on its embedded default: SQLite, demo data, http://127.0.0.1:8000
set -euo pipefail
source "$(dirname "$0")/system-deps.sh"
source "$(dirname "$0")/env.sh"
fupin migrate --verbosity 0
fupin load-regions --if-incomplete     # the whole country to village level: about a minute, once
fupin seed-demo --if-empty --persons "${FUPIN_DEMO_PERSONS:-20000}" --seed 2015
exec fupin serve 127.0.0.1:8000
