"""Login throttling and picture challenges, kept in the rate limiter's storage.

The storage is Flask-Limiter's (``RATELIMIT_STORAGE_URI``: Redis in production, memory in development
and tests), so every worker process sees the same counts. Nothing here touches the database.

* ``reserve(username, address)`` takes one attempt for the pair (user name, address) from the tiers of
  ``LOGIN_BACKOFF`` ("3 per minute; 6 per 15 minutes; …"): each tier that is used up refuses for
  longer, so whoever keeps guessing waits more and more, while the same name from another address is
  not slowed. It returns the seconds to wait (0: go ahead). Taking the attempt is atomic in the storage,
  so simultaneous requests cannot slip past a tier.
* ``record_failure`` counts a wrong password for the pair and for the name (from every address);
  ``captcha_needed`` says when a picture challenge must be answered first.
* ``new_challenge`` / ``check_challenge``: an arithmetic question whose answer stays in the storage,
  usable once, for ``CAPTCHA_TTL_SECONDS``.

User names are hashed in the keys: they are whatever a visitor typed.

While the storage is unreachable (Redis down), every operation here runs on this process's memory
instead (``_run``), as Flask-Limiter's own limits do (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``): logins
go on, slowed per process rather than across processes, and an account's lock after repeated wrong
passwords still holds everywhere, because it is kept in the database (``app.domain.login``). The
outage is logged once and shown by ``/readyz``; the shared storage is used again as soon as it answers.
"""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from typing import Callable, TypeVar

from flask import current_app
from limits import parse_many
from limits.storage import MemoryStorage

from app.extensions import limiter

log = logging.getLogger(__name__)
T = TypeVar("T")
_FALLBACK = MemoryStorage()
_outage = {"logged": False}

CAPTCHA_TTL_SECONDS = 600
LOCK_NAMESPACE = "login-lock"


def _run(operation: Callable[..., T]) -> T:
    """``operation(storage, strategy)`` on the limiter's storage, or on this process's memory while
    that storage does not answer (see the module's notes)."""
    storage = limiter.storage
    try:
        result = operation(storage, type(limiter.limiter)(storage))
    except storage.base_exceptions as error:
        if not _outage["logged"]:
            log.warning("rate-limit storage unreachable (%s): login throttling counts per process",
                        type(error).__name__)
            _outage["logged"] = True
        return operation(_FALLBACK, type(limiter.limiter)(_FALLBACK))
    _outage["logged"] = False
    return result


def _name(username: str) -> str:
    return hashlib.sha256((username or "").strip().lower().encode("utf-8", "replace")).hexdigest()[:32]


def _address(address: str | None) -> str:
    return (address or "unknown")[:45]


def _window() -> int:
    return int(current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])


def _tiers():
    return parse_many(current_app.config["LOGIN_BACKOFF"])


# --- backoff per (name, address) ------------------------------------------------------------------

def reserve(username: str, address: str | None) -> int:
    """Take one login attempt for this name from this address: 0 when allowed, else the seconds to wait.

    Tiers are taken shortest first and the first one used up stops (so a refused attempt does not
    fill the longer tiers)."""
    ids = ("login-pair", _name(username), _address(address))
    tiers = _tiers()

    def take(_storage, strategy) -> int:
        for tier in tiers:
            if not strategy.hit(tier, *ids):
                reset_time, _remaining = strategy.get_window_stats(tier, *ids)
                return max(1, math.ceil(reset_time - time.time()))
        return 0
    return _run(take)


def _failure_keys(username: str, address: str | None) -> tuple[str, str]:
    name = _name(username)
    return f"login-fail/{name}/{_address(address)}", f"login-fail/{name}"


def record_failure(username: str, address: str | None) -> int:
    """Count a wrong password for the pair and for the name; returns the name's count (all addresses)."""
    pair_key, name_key = _failure_keys(username, address)
    window = _window()

    def count(storage, _strategy) -> int:
        storage.incr(pair_key, window)
        return storage.incr(name_key, window)
    return _run(count)


def name_failures(username: str) -> int:
    return _run(lambda storage, _strategy: storage.get(_failure_keys(username, None)[1]))


def captcha_needed(username: str, address: str | None) -> bool:
    """After ``LOGIN_CAPTCHA_AFTER`` failures of the pair, or ``LOGIN_CAPTCHA_AFTER_ACCOUNT`` of the name
    from all addresses together (a guesser spread over many addresses), a picture must be answered."""
    pair_key, name_key = _failure_keys(username, address)
    config = current_app.config
    return _run(lambda storage, _strategy: (
        storage.get(pair_key) >= int(config["LOGIN_CAPTCHA_AFTER"])
        or storage.get(name_key) >= int(config["LOGIN_CAPTCHA_AFTER_ACCOUNT"])))


def succeeded(username: str, address: str | None) -> None:
    """The right password from this address: its backoff and failures are forgotten (the name's count
    from other addresses stays, so a guesser elsewhere still meets the picture)."""
    ids = ("login-pair", _name(username), _address(address))
    tiers = _tiers()

    def forget(storage, strategy) -> None:
        for tier in tiers:
            strategy.clear(tier, *ids)
        storage.clear(_failure_keys(username, address)[0])
    _run(forget)


def forget_name(username: str) -> None:
    """Forget the failures of a name from every address (after an unlock)."""
    def forget(storage, _strategy) -> None:
        storage.clear(_failure_keys(username, None)[1])
        storage.clear(f"{LOCK_NAMESPACE}/{_name(username)}")
    _run(forget)


# --- a lock for names that are not accounts -------------------------------------------------------

def lock_name(username: str, seconds: int) -> None:
    """Mark a name as locked (used for names with no account, so they answer as a locked one would)."""
    _run(lambda storage, _strategy: storage.incr(f"{LOCK_NAMESPACE}/{_name(username)}", seconds))


def name_lock_seconds(username: str) -> int:
    key = f"{LOCK_NAMESPACE}/{_name(username)}"

    def seconds(storage, _strategy) -> int:
        if not storage.get(key):
            return 0
        return max(1, math.ceil(storage.get_expiry(key) - time.time()))
    return _run(seconds)


# --- picture challenges ---------------------------------------------------------------------------

def new_challenge() -> tuple[str, str]:
    """A new arithmetic question: ``(challenge id, question text)``. The answer stays in the storage."""
    first, second = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2) and first != second:
        first, second = max(first, second), min(first, second)
        question, answer = f"{first} - {second} = ?", first - second
    else:
        question, answer = f"{first} + {second} = ?", first + second
    challenge = secrets.token_urlsafe(18)
    _run(lambda storage, _strategy: storage.incr(f"captcha/{challenge}", CAPTCHA_TTL_SECONDS, amount=answer + 1))
    return challenge, question


def challenge_answer(challenge: str) -> int | None:
    """The stored answer of a live challenge (None once used or expired)."""
    if not challenge or not isinstance(challenge, str) or len(challenge) > 64:
        return None
    stored = _run(lambda storage, _strategy: storage.get(f"captcha/{challenge}"))
    return stored - 1 if stored else None


def check_challenge(challenge: str | None, given: str | None) -> bool:
    """Whether ``given`` answers the challenge. Each challenge is checked once, right or wrong."""
    answer = challenge_answer(challenge or "")
    if answer is None:
        return False

    def use(storage, _strategy) -> bool:
        if storage.incr(f"captcha-used/{challenge}", CAPTCHA_TTL_SECONDS) != 1:
            return False
        storage.clear(f"captcha/{challenge}")
        return True
    if not _run(use):
        return False
    given = (given or "").strip()
    return given.isdigit() and len(given) <= 3 and int(given) == answer
