"""The platform's clock: naive timestamps in China Standard Time, as stored. Everything reads the time here."""
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))


def now() -> datetime:
    """The current time in China Standard Time, without tzinfo (as stored)."""
    return datetime.now(CST).replace(tzinfo=None)


def today() -> date:
    return now().date()
