"""Benchmark: back-office list pages on a large database.

    flask demo --trainees 200000          # once, on the database to measure
    DATABASE_URL=... python tests/bench/list_speed.py [--repeat 5]

Logs in as the demo accounts and times each list page (default filters, a filter, a search,
a deep page) through the test client, printing the median in milliseconds. Not a test:
run it by hand, on the machine you care about.
"""
from __future__ import annotations

import argparse
import statistics
import time

from app import create_app
from app.seed.demo import DEMO_PASSWORD

PAGES = {
    "county_zy": ["/admin/application/", "/admin/application/?flt_status_equals=submitted",
                  "/admin/application/?search=410102", "/admin/trainee/", "/admin/"],
    "city_zz": ["/admin/application/", "/admin/application/?flt_status_equals=county_approved",
                "/admin/application/?page=50"],
    "base_one": ["/admin/application/", "/admin/trainee/"],
    "province": ["/admin/application/", "/admin/application/?page=500", "/admin/application/?search=张",
                 "/admin/trainee/", "/admin/employment/", "/admin/attachment/", "/admin/review_record/", "/admin/"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    for username, urls in PAGES.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"cannot log in as {username}"
        for url in urls:
            timings = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            print(f"{username:<10} {url:<60} median {statistics.median(timings):7.1f} ms  "
                  f"max {max(timings):7.1f} ms")


if __name__ == "__main__":
    main()
