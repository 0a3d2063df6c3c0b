"""统一社会信用代码 (GB 32100) and 居民身份证号码 (GB 11643) validation and generation, correcting python-stdnum.

python-stdnum rejects valid codes whose first character is A, N or Y and skips the embedded
GB 11714 organisation-code check; this module checks both and the whole-code check character.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import random
import unicodedata
from pathlib import Path

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


def validate_uscc(raw: str) -> str:
    """Return the canonical code, or raise InvalidUSCC with a reason code.

    Reasons: "length", "full_width", "alphabet", "department", "division", "org_check", "check".
    """
    text = raw.strip()
    if any("\uff01" <= ch <= "\uff5e" or ch == "\u3000" for ch in text):
        raise InvalidUSCC("full_width")
    code = text.upper()
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


# ---- 居民身份证号码 (GB 11643) --------------------------------------------------------------------

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
# Province-level division codes (GB/T 2260), the first two digits of every ID number.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
})
# The division lists shipped with the regions app; read as files, the code of `regions` is not imported.
_DIVISION_FILES = (
    Path(__file__).resolve().parent.parent / "regions" / "data" / "zhejiang_divisions_gbt2260.csv",
    Path(__file__).resolve().parent.parent / "regions" / "data" / "hangzhou_districts_gbt2260.csv",
)


class InvalidResidentId(ValueError):
    """The text is not a valid resident identity card number; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@functools.cache
def zhejiang_division_codes() -> frozenset[str]:
    """Every county-level code of Zhejiang an ID number may carry, abolished ones included."""
    codes: set[str] = set()
    for path in _DIVISION_FILES:
        with path.open(encoding="utf-8") as handle:
            codes.update(row["code"] for row in csv.DictReader(handle))
    return frozenset(codes)


def resident_id_check_char(first17: str) -> str:
    """Return the 18th (check) character of a resident ID number (GB 11643, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS, strict=True))
    return _RIC_CHECK[total % 11]


def validate_resident_id(value: str, *, today: dt.date | None = None) -> str:
    """Return the canonical 18-character ID number, or raise InvalidResidentId with a reason code.

    Reasons: "length", "format", "province", "division", "birth_date", "future_birth", "check".
    Full-width digits and a lower-case x are normalised; the division code is checked against the
    province list everywhere and against the shipped county list in Zhejiang (33xxxx).
    """
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if len(text) != 18:
        raise InvalidResidentId("length")
    if not text[:17].isascii() or not text[:17].isdigit() or text[17] not in "0123456789X":
        raise InvalidResidentId("format")
    if text[:2] not in PROVINCE_CODES:
        raise InvalidResidentId("province")
    if text[:2] == "33" and text[:6] not in zhejiang_division_codes():
        raise InvalidResidentId("division")
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidResidentId("birth_date") from None
    if born.year < 1900:
        raise InvalidResidentId("birth_date")
    if born > (today or dt.date.today()):
        raise InvalidResidentId("future_birth")
    if resident_id_check_char(text[:17]) != text[17]:
        raise InvalidResidentId("check")
    return text


def generate_resident_id(*, division: str = "330108", born: dt.date = dt.date(1990, 1, 1), serial: int = 1) -> str:
    """Make a valid ID number (for demo data and tests): division, birth date, 3-digit serial, check."""
    first17 = f"{division}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + resident_id_check_char(first17)
