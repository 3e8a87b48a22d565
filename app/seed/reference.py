"""Reference data loaded by ``flask seed``: regions, specialties and practice scopes from ``data/``
(each file's source is in ``data/README.md``), and the guide's technical-support contacts."""
from __future__ import annotations

import csv

from sqlalchemy import select

from app.domain.support_contacts import seed_support_contacts
from app.extensions import db
from app.seed import DATA
from models import PracticeScope, Region, Specialty, University
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
    added = {"regions": 0, "specialties": 0, "practice_scopes": 0, "universities": 0, "support_contacts": 0}
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
    added["universities"] = _seed_universities(regions)
    added["support_contacts"] = seed_support_contacts()
    db.session.commit()
    return added


def _seed_universities(regions: dict[str, Region]) -> int:
    """Insert or update the universities of ``universities.csv``; the number added."""
    db.session.flush()  # the regions' ids
    known = {u.name: u for u in db.session.scalars(select(University))}
    added = 0
    for row in _rows("universities.csv"):
        university = known.get(row["name"])
        if university is None:
            university = University(name=row["name"])
            db.session.add(university)
            added += 1
        city = regions.get(row["city_code"]) if row["city_code"] else None
        university.province, university.city = row["province"], row["city"]
        university.in_henan, university.city_id = row["in_henan"] == "1", city.id if city else None
    return added
