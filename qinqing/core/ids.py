"""统一社会信用代码 (GB 32100) validation and generation, correcting python-stdnum.

python-stdnum rejects valid codes whose first character is A, N or Y and skips the embedded
GB 11714 organisation-code check; this module checks both and the whole-code check character.
"""

from __future__ import annotations

import random
import unicodedata

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# First character: registration department (GB 32100 table 1).
_DEPARTMENTS = "123456789ANY"


class InvalidUSCC(ValueError):
    """The text is not a valid unified social credit code; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def uscc_check_char(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(first8: str) -> str:
    """Return the GB 11714 organisation-code check character for its first 8 characters."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def normalise_uscc(raw: str) -> str:
    """The code as people type it, made canonical: NFKC (full-width → half-width), no spaces, upper case.

    "９１１１　００００ ８０２１００４３３ｂ" → "91110000802100433B"; validity is not checked here.
    """
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if not ch.isspace()).upper()


def looks_like_uscc(raw: str) -> bool:
    """Tell whether typed text is meant as a USCC (not a staff username): letters and digits, mostly digits."""
    code = normalise_uscc(raw)
    return 15 <= len(code) <= 20 and code.isascii() and code.isalnum() and sum(c.isdigit() for c in code) >= 8


def validate_uscc(raw: str) -> str:
    """Return the canonical code, or raise InvalidUSCC with a reason code.

    The text is normalised first (`normalise_uscc`): full-width characters typed with a Chinese
    input method, spaces anywhere and lower case are accepted.
    Reasons: "length", "alphabet", "department", "division", "org_check", "check".
    """
    code = normalise_uscc(raw)
    if len(code) != 18:
        raise InvalidUSCC("length")
    if any(ch not in USCC_ALPHABET for ch in code):
        raise InvalidUSCC("alphabet")
    if code[0] not in _DEPARTMENTS:
        raise InvalidUSCC("department")
    if not code[2:8].isdigit():
        raise InvalidUSCC("division")
    org = code[8:17]
    if any(ch not in _ORG_ALPHABET for ch in org[:8]) or org_check_char(org[:8]) != org[8]:
        raise InvalidUSCC("org_check")
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidUSCC("check")
    return code


def is_valid_uscc(raw: str) -> bool:
    """Tell whether `raw` is a valid unified social credit code."""
    try:
        validate_uscc(raw)
    except InvalidUSCC:
        return False
    return True


def generate_uscc(*, division: str = "330108", department: str = "9", category: str = "1", rng: random.Random | None = None) -> str:
    """Make a valid code with correct organisation-code and whole-code check characters."""
    rng = rng or random.Random()
    # Organisation-code body: digits and the letters GB 32100 allows, so the whole code stays valid.
    body_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWY"
    while True:
        body = "".join(rng.choice(body_alphabet) for _ in range(8))
        org = body + org_check_char(body)
        if org[8] in USCC_ALPHABET:
            break
    first17 = department + category + division + org
    return first17 + uscc_check_char(first17)
