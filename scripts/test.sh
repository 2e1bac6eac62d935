#!/usr/bin/env bash
# Install everything (Debian chromium and CJK fonts included) and run the whole suite:
# on SQLite, then again on PostgreSQL where it answers on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-deps.sh browser
FUPIN_EXTRAS="[test,redis]" source scripts/env.sh  # redis: the Redis task queue's tests
export FUPIN_TASKS=immediate
echo "== ruff format --check (layout; pyproject.toml [tool.ruff.format])"
ruff format --check .
echo "== ruff check (lint; pyproject.toml [tool.ruff])"
ruff check .
echo "== mypy (types; pyproject.toml [tool.mypy] files)"
mypy
echo "== test suite on SQLite"
python -m pytest -q "$@"
PG_URL="${FUPIN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
if python -c "import psycopg, sys; psycopg.connect('$PG_URL', connect_timeout=3).close()" 2>/dev/null; then
  echo "== test suite on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" python -m pytest -q "$@"
else
  echo "== PostgreSQL does not answer at $PG_URL: suite ran on SQLite only"
fi
