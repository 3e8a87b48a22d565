#!/usr/bin/env bash
# Back up the platform: the PostgreSQL database (pg_dump -Fc) and the uploads folder (tar), into one
# timestamped folder with a manifest and SHA-256 checksums. Restore with scripts/restore.sh.
#
#   scripts/backup.sh [--database-url URL] [--uploads DIR] [--out DIR]
#
# Defaults: DATABASE_URL and UPLOAD_FOLDER from the environment (as the app reads them), --out
# BACKUP_DIR or ./backups. Prints the new backup folder's path on the last line. Exit status 0 only
# when the whole backup was written; an unfinished backup is left as <name>.partial, never as a backup.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "backup.sh: $*" >&2; exit 1; }

database_url="${DATABASE_URL:-}"
uploads="${UPLOAD_FOLDER:-}"
out="${BACKUP_DIR:-backups}"
while [ $# -gt 0 ]; do
  case "$1" in
    --database-url) database_url="${2:?--database-url needs a value}"; shift 2 ;;
    --uploads) uploads="${2:?--uploads needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ -n "$database_url" ] || die "no database: set DATABASE_URL or pass --database-url"
[ -n "$uploads" ] || die "no uploads folder: set UPLOAD_FOLDER or pass --uploads"
[ -d "$uploads" ] || die "the uploads folder does not exist: $uploads"
for tool in pg_dump psql tar sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

# SQLAlchemy's postgresql+psycopg:// is libpq's postgresql://
libpq_url="$(printf '%s' "$database_url" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')"
case "$libpq_url" in postgresql://*) ;; *) die "DATABASE_URL is not a PostgreSQL URL" ;; esac

server_version="$(psql "$libpq_url" -XAtqc 'SHOW server_version_num')" || die "the database does not answer"
dump_version="$(pg_dump --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
server_major=$((server_version / 10000))
[ "$dump_version" -ge "$server_major" ] || \
  die "pg_dump $dump_version is older than the server ($server_major): install postgresql-client-$server_major"
alembic="$(psql "$libpq_url" -XAtqc 'SELECT string_agg(version_num, $$,$$) FROM alembic_version' 2>/dev/null || true)"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
target="$out/hnpx-$stamp"
[ ! -e "$target" ] || die "$target already exists"
partial="$target.partial"
rm -rf "$partial"
mkdir -m 700 "$partial"

# the files first: a row written during the dump may name a file the tar has not seen, never the reverse
# (files are only added under new names, and a file whose row is not in the dump is harmless)
( cd "$uploads" && find . -type f ! -name '.ready-*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum ) \
  > "$partial/uploads.sha256"
tar -C "$uploads" --exclude='./.ready-*' -czf "$partial/uploads.tar.gz" .
pg_dump --format=custom --compress=6 --file="$partial/database.dump" "$libpq_url"

{
  echo "created=$stamp"
  echo "host=$(hostname)"
  echo "server_version_num=$server_version"
  echo "pg_dump=$(pg_dump --version)"
  echo "alembic_revision=${alembic:-none}"
  echo "database_tables=$(psql "$libpq_url" -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
  echo "upload_files=$(wc -l < "$partial/uploads.sha256")"
  echo "database_bytes=$(stat -c %s "$partial/database.dump")"
  echo "uploads_bytes=$(stat -c %s "$partial/uploads.tar.gz")"
} > "$partial/MANIFEST"
( cd "$partial" && sha256sum MANIFEST database.dump uploads.tar.gz uploads.sha256 > SHA256SUMS )
mv "$partial" "$target"
echo "backup written: $(wc -l < "$target/uploads.sha256") files, database $(stat -c %s "$target/database.dump") bytes" >&2
echo "$target"
