"""The admission engine against the ``matching`` package's resident-optimal hospital–resident matching.

Synthetic, seeded data: several bases and specialties, scarce seats (some quotas zero or
missing), many ties in the combined score (one decimal, narrow range) and in the theory score.
Every (base, specialty) is a "hospital" that ranks all applicants who chose it by the engine's
common ranking; applicants rank their choices at their base in their order. With one common
ranking the stable matching is unique, and serial dictatorship must give it.

Usage: python -m tests.bench.admission_vs_matching [APPLICANTS] [SEED]
"""
from __future__ import annotations

import random
import sys
import time
import warnings
from datetime import datetime, timedelta
from decimal import Decimal

from app.domain.admission import Applicant, rank_key, run


def synthetic(count: int, seed: int, bases: int = 8, specialties: int = 12, seat_share: float = 0.45):
    """(applicants, seats): ``count`` applicants, about ``seat_share`` × count seats in all."""
    rng = random.Random(seed)
    base_ids = list(range(1, bases + 1))
    specialty_ids = list(range(101, 101 + specialties))
    popularity = [rng.random() ** 2 + 0.05 for _ in specialty_ids]
    seats = {}
    total = int(count * seat_share)
    for base_id in base_ids:
        for specialty_id, weight in zip(specialty_ids, popularity):
            if rng.random() < 0.1:
                continue  # this base does not train this specialty
            seats[(base_id, specialty_id)] = 0 if rng.random() < 0.05 else max(
                int(rng.gauss(total / (bases * specialties), total / (bases * specialties * 2))), 1)
    start = datetime(2025, 4, 1, 8, 0)
    applicants = []
    for number in range(1, count + 1):
        first, second = rng.choices(specialty_ids, popularity, k=2)
        choices = (first,) if first == second or rng.random() < 0.3 else (first, second)
        theory = Decimal(rng.randrange(55, 66))  # few distinct values: many ties
        skills = Decimal(rng.randrange(60, 64))
        combined = None if rng.random() < 0.02 else Decimal(rng.randrange(600, 700)) / 10
        applicants.append(Applicant(
            id=number, base_id=rng.choice(base_ids), choices=choices, combined=combined, theory=theory,
            skills=skills, submitted_at=start + timedelta(minutes=rng.randrange(0, 60 * 24 * 3))))
    rng.shuffle(applicants)
    return applicants, seats


def matching_assignment(applicants, seats, tie_break, check_stability: bool = False) -> dict[int, tuple[int, int]]:
    """{applicant id: (base, specialty)} of the resident-optimal stable matching (``matching`` 1.4).

    One game over every base. Applicants without a combined score take no part; seats with no
    places are left out of the preferences (the package cannot hold a hospital of capacity 0)."""
    from matching.games import HospitalResident
    keys = [part for part in tie_break.split(",") if part]
    ranked = sorted((a for a in applicants if a.combined is not None), key=lambda a: rank_key(a, keys))
    resident_prefs, hospital_prefs, capacities = {}, {}, {}
    for applicant in ranked:  # ranking order: the hospitals' preference lists come out ordered
        prefs = [(applicant.base_id, s) for s in applicant.choices if seats.get((applicant.base_id, s), 0) > 0]
        if not prefs:
            continue
        resident_prefs[applicant.id] = prefs
        for hospital in prefs:
            hospital_prefs.setdefault(hospital, []).append(applicant.id)
            capacities[hospital] = seats[hospital]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any input the package had to question is a failure
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        matching = game.solve(optimal="resident")
    assert game.check_validity()
    if check_stability:  # O(residents × hospitals) in Python: slow at 20,000
        assert game.check_stability()
    return {resident.name: hospital.name for hospital, residents in matching.items() for resident in residents}


def engine_assignment(applicants, seats, tie_break) -> dict[int, tuple[int, int]]:
    result = run(applicants, seats, tie_break)
    by_id = {a.id: a for a in applicants}
    return {i: (by_id[i].base_id, o.specialty_id) for i, o in result.outcomes.items() if o.admitted}


def main(count: int = 20000, seed: int = 2025) -> None:
    applicants, seats = synthetic(count, seed)
    for tie_break in ("theory,skills,submitted_at", "skills,theory,submitted_at"):
        started = time.perf_counter()
        ours = engine_assignment(applicants, seats, tie_break)
        middle = time.perf_counter()
        theirs = matching_assignment(applicants, seats, tie_break, check_stability=count <= 5000)
        done = time.perf_counter()
        print(f"{tie_break}: {count} applicants, {len(ours)} admitted; engine {middle - started:.2f} s, "
              f"matching {done - middle:.2f} s; identical: {ours == theirs}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
