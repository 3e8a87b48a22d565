"""The registration peak, for locust (tests/load/run.sh starts everything; README → Load test).

Trainees sign in, open their home and their application, and upload a proof of leave (a picture the
platform checks and re-encodes); reviewers page through the application list with filters. The
accounts come from ``LOAD_ACCOUNTS`` (a CSV that run.sh writes from the demo data: username,
application id, whether the application may still be changed). Every demo account's password is
``Henan@2025``. Not part of the pytest suite (no ``test_`` prefix) and run from its own virtualenv
(requirements-load.txt).
"""
from __future__ import annotations

import csv
import itertools
import os
import random
import re
import struct
import zlib

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "Henan@2025")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVIEWERS = ["county_zy", "county_xg", "city_zz", "city_ly", "province", "base_one", "base_two"]
STATUSES = ["submitted", "county_approved", "city_approved", "returned", "base_approved", "confirmed"]


# at the peak most trainees are still completing their application: this share of the simulated
# trainees is drawn from those whose application takes files (draft or returned)
EDITABLE_SHARE = float(os.environ.get("LOAD_EDITABLE_SHARE", "0.7"))


def _accounts():
    with open(os.environ["LOAD_ACCOUNTS"], newline="") as handle:
        rows = [(name, int(number), editable == "1") for name, number, editable in csv.reader(handle)]
    random.Random(7).shuffle(rows)
    editable = [row for row in rows if row[2]] or rows
    return itertools.cycle(editable), itertools.cycle(rows)


EDITABLE, EVERYONE = _accounts()


def _png(width: int = 1200, height: int = 900) -> bytes:
    """A photographed-document-sized PNG (a soft pattern, so it compresses like a scan)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        rows.extend(bytes((x * 7 + y * 3 + (x * y >> 6)) & 255 for x in range(width * 3)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + \
        chunk(b"IEND", b"")


PICTURE = _png()


class SignedIn(HttpUser):
    abstract = True

    def sign_in(self, username: str) -> None:
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text)
        with self.client.post("/login", name="/login", allow_redirects=False, catch_response=True,
                              data={"username": username, "password": PASSWORD,
                                    "csrf_token": token.group(1) if token else ""}) as response:
            if response.status_code != 302:
                response.failure(f"login of {username} answered {response.status_code}")

    def token(self, path: str, name: str) -> str | None:
        page = self.client.get(path, name=name)
        found = CSRF.search(page.text)
        return found.group(1) if found else None


class Trainee(SignedIn):
    """Most of the peak: trainees checking and completing their application."""

    weight = 9
    wait_time = between(2, 8)

    def on_start(self):
        self.username, self.application, self.editable = next(EDITABLE if random.random() < EDITABLE_SHARE
                                                              else EVERYONE)
        self.sign_in(self.username)

    @task(3)
    def home(self):
        self.client.get("/portal/", name="/portal/")

    @task(4)
    def application_page(self):
        self.client.get(f"/portal/applications/{self.application}", name="/portal/applications/[id]")

    @task(2)
    def upload(self):
        if not self.editable:  # a submitted application takes no files: the trainee looks at it instead
            self.client.get(f"/portal/applications/{self.application}", name="/portal/applications/[id]")
            return
        token = self.token(f"/portal/applications/{self.application}/step/4",
                           "/portal/applications/[id]/step/4")
        with self.client.post(f"/portal/applications/{self.application}/files", name="/portal/applications/[id]/files (upload, 1200x900 PNG)",
                              data={"csrf_token": token or "", "kind": "outing_proof"},
                              files={"file": ("外出参培证明.png", PICTURE, "image/png")},
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"upload answered {response.status_code}")

    @task(1)
    def sign_in_again(self):
        self.client.post("/logout", name="/logout",
                         data={"csrf_token": self.token("/portal/", "/portal/") or ""})
        self.sign_in(self.username)


class Reviewer(SignedIn):
    """County, city, base and province staff paging through the application list with filters."""

    weight = 1
    wait_time = between(1, 4)

    def on_start(self):
        self.sign_in(random.choice(REVIEWERS))

    @task(3)
    def page(self):
        self.client.get(f"/admin/application/?page={random.randint(0, 5)}", name="/admin/application/ (page)")

    @task(3)
    def filtered(self):
        query = random.choice([
            f"flt0_status_equals={random.choice(STATUSES)}",
            f"flt0_program_equals=gp_transfer&flt1_status_equals={random.choice(STATUSES)}",
            f"flt0_exemption_type_equals={random.randint(1, 8)}",
            f"flt0_waiting_equals=7&page={random.randint(0, 2)}",
            "search=%E7%A4%BA%E4%BE%8B",  # 示例, the units' names
        ])
        self.client.get(f"/admin/application/?{query}", name="/admin/application/ (filters)")

    @task(1)
    def dashboard(self):
        self.client.get("/admin/", name="/admin/ (dashboard)")
