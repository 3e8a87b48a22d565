"""Maintained application counts for the dashboard (issue 13): a ledger of +1/−1 rows that database
triggers write whenever an application is inserted, deleted, or changes one of the counted columns.

Nothing in Python writes these tables except ``app.domain.reporting.counts`` (compaction and recount).
The triggers (migration ``b3f1d2c4a5e6``) catch every path that changes an application: ``transition``,
``transition_many``, the admission publication, imports and any later code, so the counts cannot drift.
A count is the sum of ``n`` over its key; the worker folds the ledger into one row per key every few
minutes, so reading stays a small grouped scan however many applications there are.

* ``ApplicationCount``: by batch, status, city, county and base (the dashboard's counts by status and
  region, and the places taken per base).
* ``ApplicationPlaceCount``: by batch, status, base, first-choice specialty and admitted specialty
  (residency applicants and admissions per base and specialty).
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db

# SQLite gives an INTEGER PRIMARY KEY its rowid; PostgreSQL a bigint identity
LedgerId = BigInteger().with_variant(Integer(), "sqlite")


class ApplicationCount(db.Model):
    __tablename__ = "application_count"
    # a region's or a base's own rows (its reviewers' counts, and the bases its list offers), by batch
    __table_args__ = (Index("ix_application_count_batch_id_status", "batch_id", "status"),
                      Index("ix_application_count_city_id_batch_id", "city_id", "batch_id"),
                      Index("ix_application_count_county_id_batch_id", "county_id", "batch_id"),
                      Index("ix_application_count_base_id_batch_id", "base_id", "batch_id"))

    id: Mapped[int] = mapped_column(LedgerId, primary_key=True)
    batch_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    city_id: Mapped[int | None]
    county_id: Mapped[int | None]
    base_id: Mapped[int | None]
    n: Mapped[int]


class ApplicationPlaceCount(db.Model):
    __tablename__ = "application_place_count"
    __table_args__ = (Index("ix_application_place_count_batch_id_status", "batch_id", "status"),)

    id: Mapped[int] = mapped_column(LedgerId, primary_key=True)
    batch_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    base_id: Mapped[int | None]
    specialty_id: Mapped[int | None]
    admitted_specialty_id: Mapped[int | None]
    n: Mapped[int]
