#!/usr/bin/env bash
# Install everything and run fupin on its embedded default: SQLite, demo data, http://127.0.0.1:8000
set -euo pipefail
source "$(dirname "$0")/system-deps.sh"
source "$(dirname "$0")/env.sh"
fupin migrate --verbosity 0
if [ "$(fupin shell -c 'from fupin.regions.models import Region; print(Region.objects.count())')" -lt 600000 ]; then
  fupin load-regions          # the whole country to village level, about a minute on SQLite
fi
if [ "$(fupin shell -c 'from fupin.registry.models import Household; print(Household.objects.count())')" -eq 0 ]; then
  fupin seed-demo --persons "${FUPIN_DEMO_PERSONS:-20000}" --seed 2015
fi
exec fupin serve 127.0.0.1:8000
