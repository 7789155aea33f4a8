"""The keys of secret ballots: voter tags, receipt codes, and their erasure at the close.

A secret poll has a random ``ballot_salt`` from its creation until it is sealed. Its key is

    poll key  = HMAC-SHA256(SECRET_KEY, "protect.polls.ballot-key" || salt)
    voter tag = HMAC-SHA256(poll key, "voter" || voter id)          stored on the voter's ballot while open
    ballot secret = base32(HMAC-SHA256(poll key, "ballot-secret" || ballot id))[:26]   shown to the voter only
    receipt   = base32(SHA-256("protect-receipt" || secret || marks))[:20]   shown to the voter, stored on the
                ballot and published with its marks after the close (marks: the option ids, comma-separated,
                in order of preference on a ranked ballot, ascending otherwise)
    receipt_hash = SHA-256(receipt)                                   stored on the ballot, kept after the close

The receipt is a hash of the ballot's content and of a random value that only its voter is shown (random:
the ballot id is a random 63-bit number, and the key is not in the database). Whoever holds the receipt and the
secret can recompute the receipt from the published marks (``content_receipt``): the marks published under
their receipt are the ones they cast. Until 0017 the receipt was HMAC(poll key, "receipt" || ballot id)
(``receipt_code``, still what 0010's ballots have).

The database alone (without SECRET_KEY) cannot turn a voter id into a tag, so a dump of it cannot tell whose
ballot is whose. The server (SECRET_KEY + salt) can while voting is open: that is how a voter finds and
replaces their own ballot. At the close the salt and every tag are erased, so not even the server can any more;
the receipt hash lets the voter (who kept the code) look up the ballot's content without saying who they are.

``migrations/versions/0010_secret_ballots.py`` holds a frozen copy of these formulas (for the rows it
converts); a test checks they agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from flask import current_app

RECEIPT_LENGTH = 20  # base32 characters: 100 bits
_RECEIPT_ALPHABET = re.compile(f"[A-Z2-7]{{{RECEIPT_LENGTH}}}")
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_salt() -> str:
    return secrets.token_hex(32)


def _server_secret() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return secret if isinstance(secret, bytes) else str(secret).encode()


def poll_key(salt: str, server_secret: bytes | None = None) -> bytes:
    secret = server_secret if server_secret is not None else _server_secret()
    return hmac.new(secret, b"protect.polls.ballot-key\x00" + bytes.fromhex(salt), hashlib.sha256).digest()


def voter_tag(key: bytes, voter_id: int) -> str:
    return hmac.new(key, b"voter\x00" + str(voter_id).encode(), hashlib.sha256).hexdigest()


def receipt_code(key: bytes, ballot_id: int) -> str:
    """The code shown to a voter for their ballot, in groups of four: "ABCD-EFGH-IJKL-MNOP-QRST"."""
    digest = hmac.new(key, b"receipt\x00" + str(ballot_id).encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest).decode()[:RECEIPT_LENGTH]
    return "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def ballot_secret(key: bytes, ballot_id: int) -> str:
    """The random value only the voter is shown, in groups of four (26 base32 characters: 130 bits)."""
    digest = hmac.new(key, b"ballot-secret\x00" + str(ballot_id).encode(), hashlib.sha256).digest()
    return _grouped(base64.b32encode(digest).decode()[:26])


def marks_text(marks: Sequence[int]) -> str:
    """A ballot's content as the receipt hashes it: "12,7,9" (ranked: in order of preference; otherwise the
    option ids in ascending order, as ``Ballot.choice()`` gives them)."""
    return ",".join(str(option_id) for option_id in marks)


def content_receipt(secret: str, marks: Sequence[int]) -> str:
    """The receipt code of a ballot with ``marks`` and the voter's ``secret`` (as shown, or without dashes)."""
    plain = secret.replace("-", "").upper()
    digest = hashlib.sha256(f"protect-receipt\x00{plain}\x00{marks_text(marks)}".encode()).digest()
    return _grouped(base64.b32encode(digest).decode()[:RECEIPT_LENGTH])


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_receipt(text: str) -> str | None:
    """A typed receipt code in its stored form (upper case, no spaces or dashes, 0/1/8 read as O/I/B), or None
    when it cannot be a receipt code."""
    code = re.sub(r"[\s\-–—.]", "", text or "").upper().translate(_LOOKALIKES)
    return code if _RECEIPT_ALPHABET.fullmatch(code) else None


def receipt_hash(code: str) -> str:
    """What the database keeps of a receipt code (given as shown or as normalised)."""
    return hashlib.sha256(code.replace("-", "").encode()).hexdigest()
