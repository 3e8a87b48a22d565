#!/usr/bin/env bash
# Restore a backup written by scripts/backup.sh into an empty database and an empty uploads folder.
#
#   scripts/restore.sh BACKUP_FOLDER [--database-url URL] [--uploads DIR] [--force]
#
# Defaults: DATABASE_URL and UPLOAD_FOLDER from the environment. The checksums are verified first.
# A database with tables, or an uploads folder with files, is refused unless --force is given: then the
# backup's tables replace the database's (pg_restore --clean) and the folder's files are moved aside
# into <uploads>.before-restore-<time>, never deleted. The restore runs in one transaction.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "restore.sh: $1" >&2; exit "${2:-1}"; }

backup=""
database_url="${DATABASE_URL:-}"
uploads="${UPLOAD_FOLDER:-}"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --database-url) database_url="${2:?--database-url needs a value}"; shift 2 ;;
    --uploads) uploads="${2:?--uploads needs a value}"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown argument: $1" ;;
    *) [ -z "$backup" ] || die "one backup folder only"; backup="$1"; shift ;;
  esac
done
[ -n "$backup" ] || { usage >&2; die "name the backup folder"; }
[ -d "$backup" ] || die "no such backup folder: $backup"
[ -n "$database_url" ] || die "no database: set DATABASE_URL or pass --database-url"
[ -n "$uploads" ] || die "no uploads folder: set UPLOAD_FOLDER or pass --uploads"
for tool in pg_restore psql tar sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
backup="$(cd "$backup" && pwd)"
for part in MANIFEST SHA256SUMS database.dump uploads.tar.gz uploads.sha256; do
  [ -f "$backup/$part" ] || die "the backup is incomplete: $part is missing"
done
( cd "$backup" && sha256sum --quiet --strict -c SHA256SUMS ) || die "the backup's checksums do not match: it is damaged"

libpq_url="$(printf '%s' "$database_url" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')"
case "$libpq_url" in postgresql://*) ;; *) die "DATABASE_URL is not a PostgreSQL URL" ;; esac
psql "$libpq_url" -XAtqc 'SELECT 1' >/dev/null || die "the database does not answer"

tables="$(psql "$libpq_url" -XAtqc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'")"
files=0
if [ -d "$uploads" ]; then
  files="$(find "$uploads" -mindepth 1 ! -name '.gitkeep' ! -name '.ready-*' | wc -l)"
fi
if [ "$force" -ne 1 ]; then
  [ "$tables" -eq 0 ] || die "the database is not empty ($tables tables and sequences): refusing to restore over it; use an empty database, or --force to replace it" 2
  [ "$files" -eq 0 ] || die "the uploads folder is not empty ($files entries): refusing to restore over it; use an empty folder, or --force" 2
fi

echo "restoring $(grep '^created=' "$backup/MANIFEST" | cut -d= -f2) ($(grep '^alembic_revision=' "$backup/MANIFEST"))" >&2
clean=()
[ "$tables" -eq 0 ] || clean=(--clean --if-exists)
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges "${clean[@]}" \
  --dbname="$libpq_url" "$backup/database.dump"

if [ "$files" -ne 0 ]; then
  aside="${uploads%/}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -m 700 "$aside"
  find "$uploads" -mindepth 1 -maxdepth 1 -exec mv -t "$aside" {} +
  echo "the uploads folder's previous files were moved to $aside" >&2
fi
mkdir -p "$uploads"
tar -C "$uploads" -xzf "$backup/uploads.tar.gz"
( cd "$uploads" && sha256sum --quiet --strict -c "$backup/uploads.sha256" ) || die "restored files do not match the backup's checksums"
echo "restored: $tables tables before, $(grep -c . "$backup/uploads.sha256" || true) files (if the code is newer than the backup, run flask db upgrade before starting it)" >&2
