"""The compiled Chinese catalogue (translations/…/messages.mo), read as the pages read it.

``make test`` compiles the catalogue before the suite runs; a missing .mo fails these helpers
loudly instead of letting English pass for Chinese."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import read_mo

MO_FILE = Path(__file__).resolve().parent.parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"


@lru_cache(maxsize=1)
def compiled() -> dict[str, str]:
    """msgid → Chinese of every translated message in the compiled catalogue."""
    assert MO_FILE.exists(), f"the catalogue is not compiled: run `make translations` ({MO_FILE.name} missing)"
    with open(MO_FILE, "rb") as handle:
        catalogue = read_mo(handle)
    return {message.id: message.string for message in catalogue
            if isinstance(message.id, str) and message.id and message.string}


def zh(msgid: str, **params) -> str:
    """gettext over the compiled catalogue; fails when ``msgid`` has no Chinese."""
    text = compiled().get(str(msgid))
    assert text, f"not translated: {msgid!r}"
    return text % params if params else text
