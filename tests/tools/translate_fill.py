"""Fill Chinese translations into the catalogue: ``python -m tests.tools.translate_fill < pairs.json``.

The input is a JSON object ``{msgid: Chinese}``; each msgid must already be in
translations/zh_Hans_CN/LC_MESSAGES/messages.po (run ``flask translate extract`` first). Fuzzy
marks on the filled messages are dropped. Without input it lists the messages still untranslated.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[2] / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans_CN")
    pairs = {} if sys.stdin.isatty() else json.loads(sys.stdin.read() or "{}")
    unknown = [msgid for msgid in pairs if msgid not in catalogue]
    for msgid, text in pairs.items():
        if msgid in catalogue:
            message = catalogue[msgid]
            message.string = text
            message.flags.discard("fuzzy")
    with open(PO, "wb") as handle:
        write_po(handle, catalogue, sort_output=True, omit_header=False, include_previous=False)
    for msgid in unknown:
        print(f"not in the catalogue (run flask translate extract): {msgid}", file=sys.stderr)
    empty = [m.id for m in catalogue if m.id and not m.string]
    for msgid in empty:
        print(f"untranslated: {msgid}")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
