"""scripts/backup.sh and scripts/restore.sh, run for real as an operator would (docs/deploy.md).

Needs the PostgreSQL server at 127.0.0.1:5432 (user postgres) and its client tools (psql, pg_dump,
pg_restore); the tests fail, never skip, when any is missing. Two scratch databases with unique names
are made for the module: one migrated, seeded and filled through the app's own commands (with files
uploaded through the storage), the other empty; both are dropped at the end.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

SERVER = os.environ.get("BACKUP_TEST_SERVER", "postgresql://postgres@127.0.0.1:5432")
BACKUP = PROJECT_ROOT / "scripts" / "backup.sh"
RESTORE = PROJECT_ROOT / "scripts" / "restore.sh"

# three outing proofs uploaded through app.infra.storage.save (checks, re-encoding, thumbnails)
UPLOAD_FILES = textwrap.dedent("""
    import io
    from PIL import Image
    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage
    from app import create_app
    from app.extensions import db
    from app.infra.storage import save
    from models import Application
    app = create_app()
    with app.app_context():
        query = select(Application).order_by(Application.id).limit(3)
        for number, application in enumerate(db.session.scalars(query).all()):
            buffer = io.BytesIO()
            Image.new("RGB", (120 + number, 90), (40 * number, 90, 160)).save(buffer, "PNG")
            buffer.seek(0)
            upload = FileStorage(buffer, filename=f"外出参培证明{number}.png", content_type="image/png")
            save(upload, "outing_proof", application.trainee, application=application)
        db.session.commit()
""")


def psql(database: str, sql: str) -> str:
    result = subprocess.run(["psql", f"{SERVER}/{database}", "-XAtqc", sql], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"psql failed ({database}): {result.stderr}"
    return result.stdout.strip()


def row_counts(database: str) -> dict[str, int]:
    """Every table of the public schema with its number of rows."""
    tables = psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
    assert tables, f"{database} has no tables"
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    return {name: int(count) for name, count in (line.split("|") for line in psql(database, sql).splitlines())}


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)


def app_env(database: str, uploads: Path) -> dict[str, str]:
    return {"FLASK_APP": "wsgi.py", "APP_ENV": "development", "DATABASE_URL": f"{SERVER}/{database}",
            "UPLOAD_FOLDER": str(uploads), "LOG_FORMAT": "text"}


def major(version_text: str) -> int:
    return int(re.search(r"(\d+)(?:\.\d+)*", version_text).group(1))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The source database with data and files, an empty target, and a backup of the source."""
    for tool in ("psql", "pg_dump", "pg_restore", "tar", "sha256sum"):
        assert shutil.which(tool), f"{tool} is not installed (apt-get install postgresql-client)"
    psql("postgres", "SELECT 1")  # fails loudly without the server
    tag = uuid.uuid4().hex[:10]
    source, target = f"hn_backup_source_{tag}", f"hn_backup_target_{tag}"
    root = tmp_path_factory.mktemp("backup")
    source_uploads, target_uploads, backups = root / "uploads", root / "restored-uploads", root / "backups"
    source_uploads.mkdir()
    created = []
    try:
        for name in (source, target):
            psql("postgres", f"CREATE DATABASE {name}")
            created.append(name)
        flask = [sys.executable, "-m", "flask"]
        for command in (["db", "upgrade"], ["seed"], ["demo", "--trainees", "6"]):
            result = run(*flask, *command, env=app_env(source, source_uploads))
            assert result.returncode == 0, f"flask {' '.join(command)}: {result.stderr[-2000:]}"
        result = run(sys.executable, "-c", UPLOAD_FILES, env=app_env(source, source_uploads))
        assert result.returncode == 0, result.stderr[-2000:]
        result = run(BACKUP, "--out", backups, env={"DATABASE_URL": f"{SERVER}/{source}",
                                                     "UPLOAD_FOLDER": str(source_uploads)})
        assert result.returncode == 0, result.stderr
        backup = Path(result.stdout.strip().splitlines()[-1])
        yield {"counts": row_counts(source), "source": source, "target": target, "source_uploads": source_uploads,
               "target_uploads": target_uploads, "backup": backup, "root": root}
    finally:
        for name in created:
            psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_client_tools_match_the_server():
    server = int(psql("postgres", "SHOW server_version_num")) // 10000
    for tool in ("pg_dump", "pg_restore"):
        assert major(run(tool, "--version").stdout) == server, f"{tool} is not the server's major version {server}"


def test_backup_folder_has_the_dump_the_files_and_a_manifest(world):
    backup = world["backup"]
    assert re.fullmatch(r"hnpx-\d{8}T\d{6}Z", backup.name)
    assert {p.name for p in backup.iterdir()} == {"MANIFEST", "SHA256SUMS", "database.dump", "uploads.tar.gz",
                                                  "uploads.sha256"}
    manifest = dict(line.split("=", 1) for line in (backup / "MANIFEST").read_text().splitlines())
    assert manifest["alembic_revision"] == psql(world["source"], "SELECT version_num FROM alembic_version")
    files = checksums(world["source_uploads"])
    assert len(files) >= 6  # three pictures and their thumbnails
    assert int(manifest["upload_files"]) == len(files)
    assert (backup / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=backup,
                          capture_output=True).returncode == 0


def test_restore_into_an_empty_database_gives_the_same_rows_and_files(world):
    result = run(RESTORE, world["backup"], "--database-url", f"postgresql+psycopg://{SERVER.split('://')[1]}/"
                 f"{world['target']}", "--uploads", world["target_uploads"])
    assert result.returncode == 0, result.stderr
    assert row_counts(world["target"]) == world["counts"]
    assert world["counts"]["attachment"] == 3 and world["counts"]["application"] > 0
    assert checksums(world["target_uploads"]) == checksums(world["source_uploads"])
    # the restored database is one the app accepts: at the migrations' head
    result = run(sys.executable, "-m", "flask", "db", "current", env=app_env(world["target"], world["target_uploads"]))
    assert result.returncode == 0 and "(head)" in result.stdout, result.stdout + result.stderr


def test_restore_refuses_a_database_with_tables(world):
    before, files = row_counts(world["source"]), checksums(world["source_uploads"])
    psql(world["source"], "UPDATE account SET display_name = 'changed after the backup' WHERE username = 'admin'")
    empty_uploads = world["root"] / "empty-uploads"
    result = run(RESTORE, world["backup"], "--database-url", f"{SERVER}/{world['source']}",
                 "--uploads", empty_uploads)
    assert result.returncode == 2
    assert "the database is not empty" in result.stderr and "--force" in result.stderr
    assert row_counts(world["source"]) == before and checksums(world["source_uploads"]) == files
    assert psql(world["source"], "SELECT display_name FROM account WHERE username = 'admin'") == \
        "changed after the backup"
    assert not empty_uploads.exists()


def test_restore_refuses_a_damaged_backup(world):
    damaged = world["root"] / "damaged"
    shutil.copytree(world["backup"], damaged)
    data = bytearray((damaged / "database.dump").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (damaged / "database.dump").write_bytes(bytes(data))
    psql(world["source"], "UPDATE account SET display_name = 'kept' WHERE username = 'province'")
    result = run(RESTORE, damaged, "--database-url", f"{SERVER}/{world['source']}",
                 "--uploads", world["source_uploads"], "--force")
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert psql(world["source"], "SELECT display_name FROM account WHERE username = 'province'") == "kept"


def test_forced_restore_replaces_the_database_and_moves_the_old_files_aside(world):
    psql(world["source"], "DELETE FROM review_record")
    stray = world["source_uploads"] / "stray.bin"
    stray.write_bytes(b"written after the backup")
    result = run(RESTORE, world["backup"], "--database-url", f"{SERVER}/{world['source']}",
                 "--uploads", world["source_uploads"], "--force")
    assert result.returncode == 0, result.stderr
    backed_up = {line.split("  ", 1)[1].removeprefix("./")
                 for line in (world["backup"] / "uploads.sha256").read_text().splitlines()}
    assert set(checksums(world["source_uploads"])) == backed_up
    assert world["counts"]["review_record"] > 0
    assert row_counts(world["source"]) == world["counts"]
    asides = list(world["root"].glob("uploads.before-restore-*"))
    assert len(asides) == 1 and (asides[0] / "stray.bin").read_bytes() == b"written after the backup"
    assert psql(world["source"], "SELECT display_name FROM account WHERE username = 'admin'") != \
        "changed after the backup"
