#!/usr/bin/env bash
# Until the first release, the schema is one initial migration: rebuild it from store/models after a change.
# After a release, add a new revision instead: alembic -c store/alembic.ini revision --autogenerate -m "…"
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
rm -f store/migrations/versions/0001_initial_schema.py
COACH_DATABASE_URL="sqlite:///$tmp/regen.db" alembic -c store/alembic.ini revision --autogenerate \
  --rev-id 0001 -m "initial schema" >/dev/null
sed -i '/^Create Date:/d' store/migrations/versions/0001_initial_schema.py
rm -rf "$tmp"
echo "store/migrations/versions/0001_initial_schema.py regenerated"
