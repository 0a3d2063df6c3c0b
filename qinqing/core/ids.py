"""Identifiers: 统一社会信用代码 (GB 32100), 居民身份证号码 (GB 11643) and contact numbers.

python-stdnum rejects valid codes whose first character is A, N or Y and skips the embedded
GB 11714 organisation-code check; this module checks both and the whole-code check character.
Its ID-number check raises for the 2021 Hangzhou districts (临平 330113, 钱塘 330114): ID numbers
are checked here against the division list shipped in `core/data` (see its README).
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

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


# Character values as dicts, summed with map(): a province's registry file checks millions of codes.
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
_ORG_VALUES = {c: i for i, c in enumerate(_ORG_ALPHABET)}
_USCC_CHARS = frozenset(USCC_ALPHABET)
_ORG_CHARS = frozenset(_ORG_ALPHABET)
_ORG_CHECK = {10: "X", 11: "0"}


def _weighted(text: str, values: dict[str, int], weights: tuple[int, ...]) -> int:
    if len(text) != len(weights):
        raise ValueError(f"expected {len(weights)} characters, got {len(text)}")
    try:
        return sum(map(operator.mul, map(values.__getitem__, text), weights))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not in the alphabet") from None


def uscc_check_char(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters."""
    return USCC_ALPHABET[(31 - _weighted(first17, _USCC_VALUES, _USCC_WEIGHTS) % 31) % 31]


def org_check_char(first8: str) -> str:
    """Return the GB 11714 organisation-code check character for its first 8 characters."""
    value = 11 - _weighted(first8, _ORG_VALUES, _ORG_WEIGHTS) % 11
    return _ORG_CHECK.get(value) or str(value)


# A code's shape and both its check characters as one sum, for checks of millions of codes at once (a registry
# import's SQL, and its column-wise check in numpy). Z/341 ≅ Z/31 × Z/11 (Chinese remainder theorem): each
# position's table holds, for each character allowed there, the number ≡ its GB 32100 term (weight × value) mod 31
# and ≡ its GB 11714 organisation-code term mod 11; the 18th character adds its own value mod 31, the 17th (the
# organisation code's check, X standing for 10, 0 for 11) its value mod 11. Any other character (a letter the
# standard leaves out, lower case, a byte of a multi-byte character, a letter where digits must stand) adds
# `refused`, more than any sum of allowed terms. A canonical code is valid (`validate_uscc(code) == code`) iff
# the sum of its 18 terms is a multiple of 341 below 18 × 341.
USCC_CHECK_MODULUS = 31 * 11
_ORG_CHECK_CHARS = "0123456789X"


@dataclass(frozen=True)
class UsccTerms:
    terms: tuple[dict[str, int], ...]  # per position: allowed character → its term
    refused: int  # the term of any other character


def _crt(whole: int, org: int) -> int:
    """The number in [0, 341) ≡ `whole` mod 31 and ≡ `org` mod 11."""
    return (whole * 11 * pow(11, -1, 31) + org * 31 * pow(31, -1, 11)) % USCC_CHECK_MODULUS


@lru_cache(maxsize=1)
def uscc_position_tables() -> UsccTerms:
    """Each position's terms (see above)."""
    digits = "0123456789"
    allowed = [_DEPARTMENTS, USCC_ALPHABET, *[digits] * 6, *[USCC_ALPHABET] * 8, _ORG_CHECK_CHARS, USCC_ALPHABET]
    terms = []
    for i, chars in enumerate(allowed):
        table = {}
        for c in chars:
            whole = (_USCC_WEIGHTS[i] * _USCC_VALUES[c]) % 31 if i < 17 else _USCC_VALUES[c]
            org = 0
            if 8 <= i < 16:
                org = (_ORG_WEIGHTS[i - 8] * _ORG_VALUES[c]) % 11
            elif i == 16:
                org = 10 if c == "X" else int(c)
            table[c] = _crt(whole, org)
        terms.append(table)
    return UsccTerms(terms=tuple(terms), refused=100_000)


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
    # Already canonical (plain ASCII letters and digits, as files carry it): NFKC would change nothing.
    code = raw.upper() if len(raw) == 18 and raw.isascii() and raw.isalnum() else normalise_uscc(raw)
    if len(code) != 18:
        raise InvalidUSCC("length")
    if not _USCC_CHARS.issuperset(code):
        raise InvalidUSCC("alphabet")
    if code[0] not in _DEPARTMENTS:
        raise InvalidUSCC("department")
    if not code[2:8].isdigit():
        raise InvalidUSCC("division")
    org = code[8:17]
    if not _ORG_CHARS.issuperset(org[:8]) or org_check_char(org[:8]) != org[8]:
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


# 居民身份证号码 (GB 11643-1999): 6-digit division, 8-digit birth date, 3-digit sequence, check character.
_DATA = Path(__file__).resolve().parent / "data"
_RID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RID_SHAPE = re.compile(r"\d{17}[\dX]\Z", re.ASCII)
FULLY_CHECKED_PROVINCES = ("33",)  # provinces whose county-level codes are shipped


class InvalidResidentId(ValueError):
    """The text is not a valid resident ID number; `reason` is a translated sentence, `code` a short key."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def normalise_identifier(raw: str) -> str:
    """Full-width characters to half-width (NFKC), surrounding and inner spaces removed, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()


@lru_cache(maxsize=1)
def division_codes() -> frozenset[str]:
    """County-level GB/T 2260 codes shipped with the platform (浙江, past and present)."""
    with (_DATA / "gbt2260_zhejiang_counties.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset(row["code"] for row in csv.DictReader(handle))


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str]:
    """Province-level prefixes (the first two digits of every division code)."""
    with (_DATA / "gbt2260_provinces.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset(row["code"] for row in csv.DictReader(handle))


def known_division(code: str) -> bool:
    """Tell whether a six-digit code may begin an ID number: a shipped county, or a known other province."""
    if code[:2] in FULLY_CHECKED_PROVINCES:
        return code in division_codes()
    return code[:2] in province_codes()


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643 check character (0-9 or X) for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _RID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def validate_resident_id(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-character number (upper-case X), or raise InvalidResidentId.

    `code` of the error: length, format, province, division, birth_date, future_birth, check.
    """
    number = normalise_identifier(value)
    if len(number) != 18:
        raise InvalidResidentId(_("A resident ID number has 18 characters; this one has %(n)d.")
                                % {"n": len(number)}, "length")
    if not _RID_SHAPE.match(number):
        raise InvalidResidentId(_("A resident ID number is 17 digits followed by a digit or X."), "format")
    if number[:2] not in province_codes():
        raise InvalidResidentId(_("%(code)s is not a province code (GB/T 2260).") % {"code": number[:2]}, "province")
    if not known_division(number[:6]):
        raise InvalidResidentId(_("%(code)s is not an administrative division code (GB/T 2260).")
                                % {"code": number[:6]}, "division")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId(_("The birth date in the number (%(date)s) does not exist.")
                                % {"date": number[6:14]}, "birth_date") from None
    if born > (today or timezone.localdate()):
        raise InvalidResidentId(_("The birth date in the number (%(date)s) lies in the future.")
                                % {"date": born.isoformat()}, "future_birth")
    if born.year < 1900:
        raise InvalidResidentId(_("The birth date in the number (%(date)s) is not possible.")
                                % {"date": born.isoformat()}, "birth_date")
    if resident_id_check_char(number[:17]) != number[17]:
        raise InvalidResidentId(_("The check character (the 18th) is wrong: please check the number."), "check")
    return number


def is_valid_resident_id(value: str) -> bool:
    """Tell whether `value` is a valid resident ID number."""
    try:
        validate_resident_id(value)
    except InvalidResidentId:
        return False
    return True


def generate_resident_id(*, division: str = "330108", born: dt.date = dt.date(1990, 1, 1), sequence: int = 123,
                         serial: int | None = None) -> str:
    """Make a valid resident ID number (for tests and demo data); `serial` is another name for `sequence`."""
    first17 = f"{division}{born:%Y%m%d}{(sequence if serial is None else serial) % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class InvalidIdentifier(ValueError):
    """A contact number, account number, postcode or e-mail address that is not valid; `reason` is translated."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MOBILE = re.compile(r"1[3-9]\d{9}\Z", re.ASCII)
_LANDLINE = re.compile(r"0\d{2,3}-[1-9]\d{6,7}(?:-\d{1,6})?\Z", re.ASCII)
_POSTCODE = re.compile(r"\d{6}\Z", re.ASCII)
_BANK_ACCOUNT = re.compile(r"\d{12,30}\Z", re.ASCII)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z", re.ASCII)


def validate_mobile(value: str) -> str:
    """Return an 11-digit mainland mobile number (1[3-9] then 9 digits); a +86 prefix is dropped."""
    number = normalise_identifier(value).replace("-", "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    if not _MOBILE.match(number):
        raise InvalidIdentifier(_("Enter an 11-digit mobile number starting with 13 to 19, e.g. 13857100000."))
    return number


def validate_landline(value: str) -> str:
    """Return a landline as 区号-号码 (area code 0 + 2-3 digits, 7-8 digit number, optional extension)."""
    number = normalise_identifier(value).replace("(", "").replace(")", "-").replace("--", "-")
    if not _LANDLINE.match(number):
        raise InvalidIdentifier(_("Enter a landline as area code-number, e.g. 0571-87654321."))
    return number


def validate_phone(value: str) -> str:
    """Return a mobile number or a landline (区号-号码)."""
    try:
        return validate_mobile(value)
    except InvalidIdentifier:
        pass
    try:
        return validate_landline(value)
    except InvalidIdentifier:
        raise InvalidIdentifier(_("Enter an 11-digit mobile number or a landline as area code-number, "
                                  "e.g. 0571-87654321.")) from None


def validate_postcode(value: str) -> str:
    """Return a six-digit postcode."""
    code = normalise_identifier(value)
    if not _POSTCODE.match(code):
        raise InvalidIdentifier(_("A postcode has six digits, e.g. 310051."))
    return code


def validate_bank_account(value: str) -> str:
    """Return a bank account number: 12 to 30 digits, spaces and dashes removed.

    Only the shape is checked: banks do not all use a Luhn check digit on enterprise accounts (many
    basic deposit accounts have none), so a Luhn failure would refuse real accounts.
    """
    number = normalise_identifier(value).replace("-", "")
    if not _BANK_ACCOUNT.match(number):
        raise InvalidIdentifier(_("A bank account number has 12 to 30 digits."))
    return number


def validate_email(value: str) -> str:
    """Return an e-mail address (domain lower-cased)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidIdentifier(_("Enter an e-mail address such as name@example.com."))
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


# 投资项目统一代码: yyMM of coding, six-digit division, two-digit industry (GB/T 4754 major group),
# two-digit project type (01 审批, 02 核准, 03 备案), six-digit serial, e.g. 2612-330108-39-03-123456.
PROJECT_CODE = re.compile(r"\d{4}-\d{6}-\d{2}-\d{2}-\d{6}\Z", re.ASCII)
PROJECT_TYPE_FILING = "03"


def format_project_code(*, coded_on: dt.date, division: str, industry: str, project_type: str, serial: int) -> str:
    """Return a project code in the national 24-character format."""
    if not (re.fullmatch(r"\d{6}", division) and re.fullmatch(r"\d{2}", industry)
            and re.fullmatch(r"\d{2}", project_type) and 0 <= serial < 1_000_000):
        raise ValueError(f"cannot form a project code from {division!r}, {industry!r}, {project_type!r}, {serial}")
    return f"{coded_on:%y%m}-{division}-{industry}-{project_type}-{serial:06d}"


def is_project_code(value: str) -> bool:
    """Tell whether `value` has the national project code's shape."""
    return PROJECT_CODE.match(value) is not None


def current_division_code(name: str, within: str = "3301") -> str:
    """The current county-level code of a division named `name` (e.g. 滨江区 → 330108), or ""."""
    with (_DATA / "gbt2260_zhejiang_counties.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["name"] == name and row["code"].startswith(within) and not row["valid_to"]:
                return row["code"]
    return ""
