"""Pure classifications of one enterprise: status, industry section, size, registered-capital band, tags.

Sizes follow 《统计上大中小微型企业划分办法（2017）》(国统字〔2017〕213号): a size needs every listed
threshold at once (employees and operating revenue), else the enterprise falls to the next size down;
an indicator nobody reported leaves the size unknown rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

ACTIVE, ABNORMAL, REVOKED, DEREGISTERED, MOVED_OUT = "active", "abnormal", "revoked", "deregistered", "moved_out"
STATUSES = (ACTIVE, ABNORMAL, REVOKED, DEREGISTERED, MOVED_OUT)
# Counted as the node's enterprises: still on the register and in the node (经营异常 ones included).
IN_BUSINESS = frozenset({ACTIVE, ABNORMAL})
CLOSED = frozenset({REVOKED, DEREGISTERED})

REGISTRY_STATUS = {"存续": ACTIVE, "在业": ACTIVE, "吊销": REVOKED, "注销": DEREGISTERED, "迁出": MOVED_OUT}

LARGE, MEDIUM, SMALL, MICRO, UNKNOWN = "large", "medium", "small", "micro", "unknown"
SIZES = (LARGE, MEDIUM, SMALL, MICRO, UNKNOWN)

# Registered-capital bands, in yuan: (key, lower bound inclusive).
CAPITAL_BANDS: tuple[tuple[str, Decimal], ...] = (
    ("ge100m", Decimal("100000000")),
    ("10m_100m", Decimal("10000000")),
    ("5m_10m", Decimal("5000000")),
    ("1m_5m", Decimal("1000000")),
    ("lt1m", Decimal("0")),
)
BAND_KEYS = tuple(key for key, _ in CAPITAL_BANDS)

TAGS = ("high_tech", "specialised", "above_scale")

_WAN = Decimal("10000")
# (employees, revenue in 万元) that large, medium and small enterprises must each reach; None: not a criterion.
Thresholds = tuple[tuple[int | None, int | None], tuple[int | None, int | None], tuple[int | None, int | None]]
_INDUSTRY: Thresholds = ((1000, 40000), (300, 2000), (20, 300))
_SIZE_TABLE: dict[str, Thresholds] = {
    "A": ((None, 20000), (None, 500), (None, 50)),
    "B": _INDUSTRY, "C": _INDUSTRY, "D": _INDUSTRY,
    "E": ((None, 80000), (None, 6000), (None, 300)),
    "F51": ((200, 40000), (20, 5000), (5, 1000)),
    "F52": ((300, 20000), (50, 500), (10, 100)),
    "G": ((1000, 30000), (300, 3000), (20, 200)),
    "H": ((300, 10000), (100, 2000), (10, 100)),
    "I63": ((2000, 100000), (100, 1000), (10, 100)),
    "I64": ((2000, 100000), (100, 1000), (10, 100)),
    "I65": ((300, 10000), (100, 1000), (10, 50)),
    "K": ((None, 200000), (None, 1000), (None, 100)),
}
_OTHER: Thresholds = ((300, None), (100, None), (10, None))


def status_of(registry_status: str, *, abnormal: bool) -> str:
    """The cockpit's status: the registry's status, with 经营异常 for an active enterprise on that list."""
    status = REGISTRY_STATUS.get(registry_status, ACTIVE)
    return ABNORMAL if status == ACTIVE and abnormal else status


def section_of(industry_code: str) -> str:
    """GB/T 4754 section letter of an industry code such as "I65"."""
    first = (industry_code or "")[:1].upper()
    return first if "A" <= first <= "T" else ""


def capital_band(capital: Decimal | None) -> str:
    """The registered-capital band key of an amount in yuan ("" when unknown)."""
    if capital is None:
        return ""
    for key, lower in CAPITAL_BANDS:
        if capital >= lower:
            return key
    return BAND_KEYS[-1]


def size_of(industry_code: str, employees: int | None, revenue: Decimal | None) -> str:
    """Large, medium, small or micro by industry, employees and operating revenue (yuan); unknown without data."""
    code = (industry_code or "").upper()
    table = _SIZE_TABLE.get(code[:3]) or _SIZE_TABLE.get(code[:1]) or _OTHER
    needs_people = any(p is not None for p, _ in table)
    needs_revenue = any(r is not None for _, r in table)
    if (needs_people and employees is None) or (needs_revenue and revenue is None):
        return UNKNOWN
    wan = (revenue or Decimal(0)) / _WAN
    for size, (people, money) in zip((LARGE, MEDIUM, SMALL), table, strict=True):
        if (people is None or (employees or 0) >= people) and (money is None or wan >= money):
            return size
    return MICRO


def tags_of(flags: dict[str, str | bool | None]) -> list[str]:
    """Tags from the latest annual report: 高新技术, 专精特新, 规上 (values "是" or true)."""
    return [tag for tag in TAGS if flags.get(tag) in (True, "是", "true", "1", 1)]


def ancestors(path: str) -> list[str]:
    """Region codes from the top of a materialised path down to its node."""
    return [code for code in path.split("/") if code]


def headcount_drop(before: int | None, after: int | None) -> Decimal | None:
    """The share by which insured employees fell (0.30 = 30 %), None when it did not fall or is unknown."""
    if before is None or after is None or before <= 0 or after >= before:
        return None
    return (Decimal(before - after) / Decimal(before)).quantize(Decimal("0.0001"))


def tag_text(tags: Iterable[str]) -> str:
    """Tags as stored: sorted, between commas (",high_tech,specialised,"); empty for none."""
    values = sorted(set(tags))
    return f",{','.join(values)}," if values else ""


def tag_list(text: str) -> list[str]:
    return [tag for tag in (text or "").split(",") if tag]
