"""Commands: ``flask seed``, ``flask demo``, ``flask create-admin``, ``flask check-deploy``,
``flask purge-access-log``, ``flask files orphans``, ``flask counts``, ``flask worker`` and ``flask translate``."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.deploy import deploy_problems
from app.extensions import db
from app.infra import counts, queue, storage
from app.infra.access_log import RetentionError, purge
from app.infra.filestore import store
from app.seed.demo import load_demo
from app.seed.reference import seed_reference_data
from app.validators import password_problems
from models import Account, Role


def register_commands(app: Flask) -> None:
    """Every command, by group: data (seed, demo, create-admin), operations (files, check-deploy,
    purge-access-log, worker) and translations."""
    _register_data_commands(app)
    _register_operation_commands(app)
    _register_translation_commands(app)


def _register_data_commands(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Load the reference data (regions, specialties, practice scopes, support contacts); idempotent."""
        added = seed_reference_data()
        click.echo("seeded: " + ", ".join(f"{k} +{v}" for k, v in added.items()))

    @app.cli.command("demo")
    @click.option("--trainees", default=300, show_default=True, help="Number of synthetic trainees.")
    @click.option("--seed", "random_seed", default=2025, show_default=True, help="Random seed.")
    def demo_command(trainees: int, random_seed: int):
        """Create demo accounts, bases, batches and synthetic trainees with applications.

        Demo accounts and fixtures are created once. Synthetic trainees are generated on the
        first run, and again whenever ``--trainees`` is given explicitly (to add load).
        """
        source = click.get_current_context().get_parameter_source("trainees")
        explicit = source is not None and source.name == "COMMANDLINE"
        load_demo(trainees=trainees, force_trainees=explicit, random_seed=random_seed, echo=click.echo)

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option()
    def create_admin_command(username: str, password: str):
        """Create a system administrator (superuser) account."""
        problems = password_problems(password)
        if problems:
            raise click.ClickException(" ".join(problems))
        if db.session.scalar(select(Account).where(Account.username == username)):
            raise click.ClickException(f"account {username} already exists")
        account = Account(username=username, display_name=username, role=Role.SUPERUSER)
        account.set_password(password)
        db.session.add(account)
        db.session.commit()
        click.echo(f"created superuser {username}")


def _register_operation_commands(app: Flask) -> None:
    @app.cli.group("files")
    def files():
        """The file store (STORAGE_BACKEND): files without a record."""

    @files.command("orphans")
    @click.option("--older-than-hours", default=24.0, show_default=True,
                  help="Only files written at least this long ago (an upload may still be committing).")
    @click.option("--delete", "remove", is_flag=True, help="Remove them (otherwise only list them).")
    def orphans_command(older_than_hours: float, remove: bool):
        """List (or remove) stored files that belong to no attachment: left by a process that died
        between writing the file and committing its record, or by a removal the store refused."""
        names = storage.orphans(older_than_seconds=older_than_hours * 3600)
        files_store = store()
        for name in names:
            if remove:
                files_store.delete(name)
            click.echo(("removed " if remove else "") + name)
        click.echo(f"{len(names)} file(s) without a record")

    @app.cli.command("check-deploy")
    def check_deploy_command():
        """List every setting unsafe for production (like Django's ``check --deploy``); exit 1 if any."""
        problems = deploy_problems(app.config)
        for problem in problems:
            click.echo(f"{'ERROR  ' if problem.refuse else 'WARNING'} {problem}")
        if problems:
            refused = sum(problem.refuse for problem in problems)
            raise click.ClickException(f"{len(problems)} unsafe setting(s), {refused} of which stop the app "
                                       "from starting in production mode (APP_ENV=production)")
        click.echo("no unsafe setting found")

    @app.cli.command("purge-access-log")
    @click.option("--days", type=int, default=None,
                  help="Keep this many days (default: ACCESS_LOG_RETENTION_DAYS; at least 180).")
    def purge_access_log_command(days: int | None):
        """Delete access-log rows older than the retention period (ACCESS_LOG_RETENTION_DAYS)."""
        try:
            deleted = purge(days)
        except RetentionError as error:
            raise click.ClickException(str(error))
        click.echo(f"deleted {deleted} access-log rows")

    _register_count_commands(app)

    @app.cli.command("worker")
    @click.option("--workers", type=click.IntRange(1, 64), default=None,
                  help="Threads running tasks (default: HUEY_WORKERS).")
    def worker_command(workers: int | None):
        """Run the task queue's worker (Huey consumer) and its periodic tasks, e.g. the SMS outbox sweep.

        Logs each task's start, end and failure with its id. Stop it with Ctrl-C or SIGTERM."""
        for name in ("app.worker", "huey", "app"):
            logging.getLogger(name).setLevel(logging.INFO)
        count = workers or int(app.config.get("HUEY_WORKERS", 2))
        huey = queue.get_huey(app)
        if huey.immediate:
            raise click.ClickException("HUEY_URL=immediate runs every task in the caller: no worker needed")
        app.logger.info("worker: %s storage, %s threads, periodic tasks every %ss",
                        type(huey.storage).__name__, count, app.config.get("HUEY_TICK_SECONDS"))
        queue.consumer(app, workers=count).run()


def _register_count_commands(app: Flask) -> None:
    @app.cli.group("counts")
    def counts_group():
        """The dashboard's maintained application counts (kept by database triggers)."""

    @counts_group.command("compact")
    def compact_command():
        """Fold the counts ledger into one row per key (the worker does this every 5 minutes), then
        rewrite a ledger table left mostly empty (after a large import)."""
        click.echo(f"folded {counts.compact()} ledger rows")
        for table in counts.shrink():
            click.echo(f"rewrote {table} (its pages were mostly empty)")

    @counts_group.command("recount")
    def recount_command():
        """Rebuild the counts from the applications (briefly blocks changes to applications)."""
        counts.recount()
        counts.shrink()
        click.echo("counts rebuilt from the applications")

    @counts_group.command("check")
    def check_command():
        """Compare the counts with a full recount; exit status 1 if any differ."""
        found = counts.differences()
        for table, key, kept, actual in found[:50]:
            click.echo(f"{table} {key}: counted {kept}, actual {actual}")
        if found:
            raise click.ClickException(f"{len(found)} count(s) differ: run flask counts recount")
        click.echo("counts agree with the applications")


def _register_translation_commands(app: Flask) -> None:
    @app.cli.group("translate")
    def translate():
        """Extract, update and compile the Chinese catalogue."""

    def pybabel(*args: str) -> None:
        subprocess.run([str(Path(sys.executable).parent / "pybabel"), *args], check=True, cwd=PROJECT_ROOT)

    @translate.command("extract")
    def extract():
        """Extract messages into translations/messages.pot and merge them into the catalogue."""
        pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
                "-o", "translations/messages.pot", ".")
        pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching")

    @translate.command("compile")
    def compile_():
        """Compile translations/*/LC_MESSAGES/messages.po to .mo."""
        pybabel("compile", "-d", "translations", "--statistics")
