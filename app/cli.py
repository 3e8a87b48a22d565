"""Commands: ``flask seed``, ``flask demo``, ``flask create-admin`` and ``flask translate``."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.seed import DATA
from models import PracticeScope, Region, Specialty
from models.enums import PracticeCategory

SEED_DATA = DATA
CATEGORY_BY_NAME = {"临床": PracticeCategory.CLINICAL, "口腔": PracticeCategory.DENTAL,
                    "公共卫生": PracticeCategory.PUBLIC_HEALTH, "中医": PracticeCategory.TCM}


def _rows(name: str) -> list[dict]:
    with open(SEED_DATA / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed_reference_data() -> dict[str, int]:
    """Insert or update regions, specialties and practice scopes, and add the guide's technical-support
    contacts when there are none; safe to run again."""
    from app.domain.support_contacts import seed_support_contacts
    added = {"regions": 0, "specialties": 0, "practice_scopes": 0, "support_contacts": 0}
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for row in _rows("henan-regions.csv"):  # parents come before their children in the file
        region = regions.get(row["code"])
        if region is None:
            region = Region(code=row["code"])
            db.session.add(region)
            regions[row["code"]] = region
            added["regions"] += 1
        region.name, region.level = row["name"], row["level"]
        region.parent = regions.get(row["parent_code"]) if row["parent_code"] else None
    specialties = {s.code: s for s in db.session.scalars(select(Specialty))}
    for row in _rows("residency-specialties.csv"):
        specialty = specialties.get(row["code"])
        if specialty is None:
            specialty = Specialty(code=row["code"], shortage=row["shortage_default"] == "1")
            db.session.add(specialty)
            added["specialties"] += 1
        specialty.name = row["name"]
    scopes = {s.code: s for s in db.session.scalars(select(PracticeScope))}
    for row in _rows("practice-scopes.csv"):
        scope = scopes.get(row["code"])
        if scope is None:
            scope = PracticeScope(code=row["code"])
            db.session.add(scope)
            added["practice_scopes"] += 1
        scope.name, scope.category = row["name"], CATEGORY_BY_NAME[row["category"]]
    added["support_contacts"] = seed_support_contacts()
    db.session.commit()
    return added


def register_commands(app: Flask) -> None:
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
        from app.seed.demo import load_demo
        source = click.get_current_context().get_parameter_source("trainees")
        explicit = source is not None and source.name == "COMMANDLINE"
        load_demo(trainees=trainees, force_trainees=explicit, random_seed=random_seed, echo=click.echo)

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option()
    def create_admin_command(username: str, password: str):
        """Create a system administrator (superuser) account."""
        from app.validators import password_problems
        from models import Account, Role
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
