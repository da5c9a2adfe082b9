#!/usr/bin/env bash
# Database helper for AIWebEngine (see the migrations guide).
# Works against the configured database (--database-url / DATABASE_URL / .env / config.toml),
# else the local development server (`python -m repo db start`, started on demand).
# Passwords never appear on the command line or in output: they travel in PGPASSWORD only.
set -euo pipefail

PY=${PYTHON:-python3}
PROD=()
usage() {
  cat <<'TXT'
Usage: scripts/db.sh [--prod] COMMAND [ARGS...]

Commands:
  psql [ARGS...]        interactive psql (extra arguments go to psql, e.g. -c "\dt")
  migrate-run           apply all pending migrations
  migrate-info          show every migration and its status
  migrate-revert        revert the latest migration
  backup FILE           dump the database (FILE.dump: custom format; otherwise plain SQL)
  restore FILE          restore a dump made by `backup` (asks first)
  reset                 drop everything and re-run all migrations (asks first; refused with --prod)

Options:
  --prod                use the configured production URL only (DATABASE_URL,
                        APP_REPOSITORY__DATABASE_URL or config.toml); never the dev server
  -h, --help            show this help
TXT
}

confirm() {
  if [ ! -t 0 ]; then
    echo "error: '$1' asks for confirmation; run it from a terminal" >&2
    exit 1
  fi
  read -r -p "$1 [y/N] " answer
  [ "$answer" = "y" ] || [ "$answer" = "Y" ] || { echo "aborted"; exit 1; }
}

client() { "$PY" -m repo db exec "${PROD[@]}" "$@"; }

migrate() {
  if [ ${#PROD[@]} -eq 0 ] && ! "$PY" -c 'import sys
from repo.config import load_settings
sys.exit(0 if load_settings().resolve_url() else 1)'; then
    "$PY" -m repo db start >/dev/null   # development: make sure the dev server runs
  fi
  "$PY" -m repo migrate "$@"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prod) PROD=(--prod); shift ;;
    -h|--help) usage; exit 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { usage >&2; exit 2; }
cmd=$1; shift

case "$cmd" in
  psql) client psql -- "$@" ;;
  migrate-run) migrate run "$@" ;;
  migrate-info) migrate info "$@" ;;
  migrate-revert) migrate revert "$@" ;;
  backup)
    [ $# -eq 1 ] || { echo "error: backup needs a FILE" >&2; exit 2; }
    case "$1" in
      *.dump) client pg_dump -- -Fc -f "$1" ;;
      *) client pg_dump -- --clean --if-exists --no-owner -f "$1" ;;
    esac
    echo "backup written to $1" ;;
  restore)
    [ $# -eq 1 ] || { echo "error: restore needs a FILE" >&2; exit 2; }
    [ -f "$1" ] || { echo "error: $1 does not exist" >&2; exit 1; }
    confirm "Restore $1 over the current database?"
    case "$1" in
      *.dump) client pg_restore -- --clean --if-exists --no-owner "$1" ;;
      *) client psql -- -v ON_ERROR_STOP=1 -q -f "$1" ;;
    esac ;;
  reset)
    [ ${#PROD[@]} -eq 0 ] || { echo "error: reset is refused with --prod" >&2; exit 1; }
    confirm "This deletes ALL data in the database. Continue?"
    client psql -- -v ON_ERROR_STOP=1 -q -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
    migrate run ;;
  *) echo "error: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
esac
