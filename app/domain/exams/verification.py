"""The signed code in the 准考证's QR code, checked by invigilators on the public verification page.

Like the registration form's token (``app.domain.review.verification``): an
``itsdangerous.URLSafeSerializer`` with the app's ``SECRET_KEY`` and a salt of its own, bound to the
seat's id, its application and its exam number, so a code copied onto another ticket or altered in
one character is refused. The QR holds the absolute URL of the verification page with the code as
``?code=``. The page shows only what the ticket itself shows (name, masked ID number, number, room).
"""
from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadData, URLSafeSerializer

from app.domain.review.verification import extract_code
from app.extensions import db
from models.base import MAX_INT
from models.exam import ExamSeat

TOKEN_SALT = "hn-residency-admit-card"


class CardCodeError(Exception):
    """The code is not one the platform issued for a seat that still exists."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def card_token(seat: ExamSeat) -> str:
    return _serializer().dumps({"s": seat.id, "a": seat.application_id, "n": seat.exam_number})


def card_url(seat: ExamSeat) -> str:
    return url_for("portal.verify_admit_card", code=card_token(seat), _external=True)


def verify_card(text: str | None) -> ExamSeat:
    """The seat ``text`` (a code or the whole URL) was issued for; ``CardCodeError`` otherwise."""
    code = extract_code(text)
    if not code:
        raise CardCodeError()
    try:
        payload = _serializer().loads(code)
    except BadData:
        raise CardCodeError() from None
    seat_id = payload.get("s") if isinstance(payload, dict) else None
    if not isinstance(seat_id, int) or isinstance(seat_id, bool) or not 0 < seat_id <= MAX_INT:
        raise CardCodeError()
    seat = db.session.get(ExamSeat, seat_id)
    if seat is None or seat.application_id != payload.get("a") or seat.exam_number != payload.get("n"):
        raise CardCodeError()
    return seat
