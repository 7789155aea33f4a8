"""The English catalogue: English is the language every message is written in, so each translation is the
message itself (its plural forms: singular, plural). Run by ``make messages-update``.

    python tools/english_catalogue.py protect/translations/messages.pot protect/translations/en/LC_MESSAGES/messages.po
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(template: str, target: str) -> None:
    with open(template, "rb") as source:
        catalogue = read_po(source, locale="en")
    for message in catalogue:
        if message.id:
            message.string = tuple(message.id) if message.pluralizable else message.id
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        write_po(out, catalogue, width=0, omit_header=False, include_previous=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
