"""Distributions of the synthetic city: where enterprises are, what they do, how big they are.

Every draw is vectorised over a batch with one numpy Generator, so a batch of 20,000 enterprises
costs a few milliseconds before its rows are written. Figures are invented but shaped like a
Chinese city's registry: most enterprises are small (log-normal registered capital around
1,000,000 yuan, a handful of employees), wholesale/retail and business services dominate,
software and technical services are strong in 滨江.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data"

# Share of the city's enterprises by current district (GB/T 2260), roughly as market entities spread.
DISTRICT_WEIGHTS = {
    "330102": 10.0, "330105": 10.0, "330106": 11.0, "330108": 10.0, "330109": 14.0, "330110": 13.0,
    "330111": 6.0, "330112": 4.0, "330113": 7.0, "330114": 6.0, "330122": 3.0, "330127": 2.0, "330182": 2.5,
}
# Registration status mix (GB 32100 enterprises over all years, the closed ones kept on the register).
STATUSES = ("存续", "在业", "注销", "吊销", "迁出")
STATUS_WEIGHTS = (0.70, 0.12, 0.12, 0.04, 0.02)
ACTIVE = frozenset({"存续", "在业"})
ENTITY_TYPES = ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市、自然人投资或控股）",
                "个人独资企业", "有限责任公司（外商投资、非独资）")
ENTITY_WEIGHTS = (0.62, 0.25, 0.04, 0.06, 0.03)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华慧建国志红晓文斌宇浩然思远嘉琪子涵一诺欣怡"
BRAND = "星辰云海博远恒信创智华数天元鼎盛汇通瑞丰安达启明新越之江钱塘西子银泰聚英凌云锦程优品宏图卓越精诚方圆嘉禾"
# What a name says the enterprise does, by GB/T 4754 section.
TRADE_WORDS = {
    "A": "农业开发", "B": "矿业", "C": "智能制造", "D": "能源", "E": "建设工程", "F": "商贸", "G": "物流",
    "H": "餐饮管理", "I": "网络科技", "J": "投资管理", "K": "置业", "L": "商务咨询", "M": "科技",
    "N": "环境科技", "O": "家政服务", "P": "教育科技", "Q": "健康管理", "R": "文化传媒",
}
ROADS = ("江南大道", "滨盛路", "江陵路", "长河路", "西兴路", "浦沿路", "文三路", "天目山路", "解放路", "延安路",
         "金城路", "市心路", "文一西路", "临平大道", "学林街", "富春街道", "环城北路", "新安江路")


@dataclass(frozen=True)
class Industry:
    section: str
    section_name: str
    division: str
    name: str

    @property
    def code(self) -> str:
        """Section letter and two-digit division, e.g. I65."""
        return f"{self.section}{self.division}"


def industries() -> tuple[list[Industry], np.ndarray]:
    """GB/T 4754-2017 divisions (sections A–T) with the share of enterprises drawn in each."""
    items, weights = [], []
    with (DATA / "gbt4754_divisions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            items.append(Industry(row["section"], row["section_name"], row["division"], row["division_name"]))
            weights.append(float(row["weight"]))
    w = np.array(weights)
    return items, w / w.sum()


@dataclass(frozen=True)
class Place:
    """Where an enterprise sits: the region node (street, or community in 滨江) and its names."""

    region_id: int
    region_code: str
    district_code: str
    district: str
    street: str


@dataclass
class Draws:
    """One batch of enterprises, column by column."""

    place: np.ndarray  # index into the places list
    industry: np.ndarray  # index into the industries list
    status: np.ndarray
    age_days: np.ndarray
    capital: np.ndarray  # yuan, whole ten thousands
    employees: np.ndarray
    revenue: np.ndarray  # yuan, last full year
    tax_rate: np.ndarray
    rd_share: np.ndarray
    growth: np.ndarray  # year-on-year revenue factor
    entity: np.ndarray
    brand: np.ndarray  # two indexes into BRAND
    person: np.ndarray  # surname, given, given
    road: np.ndarray
    number: np.ndarray
    high_tech: np.ndarray
    specialised: np.ndarray
    layoff: np.ndarray  # last year's end headcount over its start
    credit: np.ndarray


def draw(rng: np.random.Generator, n: int, place_weights: np.ndarray, industry_weights: np.ndarray,
         sections: np.ndarray) -> Draws:
    """Draw n enterprises; `sections` gives each industry's section letter (for R&D and scale)."""
    industry = rng.choice(len(industry_weights), size=n, p=industry_weights)
    section = sections[industry]
    capital = np.maximum(np.round(rng.lognormal(np.log(1_000_000), 1.6, n) / 10_000), 1) * 10_000
    log_emp = 1.3 + 0.35 * (np.log(capital) - np.log(1_000_000)) + rng.normal(0, 1.1, n)
    employees = np.clip(np.round(np.exp(log_emp)) - 1, 0, 60_000).astype(np.int64)
    per_head = rng.lognormal(np.log(450_000), 0.8, n)
    revenue = np.round(np.maximum(employees, 0.3) * per_head, -2)
    research = np.isin(section, ["C", "I", "M"])
    rd_share = np.where(research & (rng.random(n) < 0.6), rng.uniform(0, 0.12, n),
                        np.where(rng.random(n) < 0.08, rng.uniform(0, 0.03, n), 0.0))
    high_tech = (rd_share >= 0.03) & (employees >= 10) & (revenue >= 2_000_000) & (rng.random(n) < 0.55)
    specialised = high_tech & np.isin(section, ["C", "I"]) & (rng.random(n) < 0.35)
    return Draws(
        place=rng.choice(len(place_weights), size=n, p=place_weights), industry=industry,
        status=rng.choice(len(STATUSES), size=n, p=STATUS_WEIGHTS),
        age_days=np.minimum(rng.exponential(7 * 365, n), 35 * 365).astype(np.int64) + 20,
        capital=capital, employees=employees, revenue=revenue, tax_rate=rng.uniform(0.008, 0.06, n),
        rd_share=rd_share, growth=np.clip(rng.normal(1.08, 0.15, n), 0.5, 2.0),
        entity=rng.choice(len(ENTITY_TYPES), size=n, p=ENTITY_WEIGHTS),
        brand=rng.integers(0, len(BRAND), size=(n, 2)), person=rng.integers(0, 10_000, size=(n, 3)),
        road=rng.integers(0, len(ROADS), size=n), number=rng.integers(1, 2_000, size=n),
        high_tech=high_tech, specialised=specialised,
        layoff=np.clip(rng.normal(1.02, 0.08, n), 0.4, 1.6),
        credit=rng.choice(5, size=n, p=(0.25, 0.45, 0.2, 0.08, 0.02)),
    )


def above_scale(section: str, division: str, revenue: float) -> bool:
    """规上: industry 20 M yuan of revenue, retail and catering 5 M, other services 10 M (simplified)."""
    if section in {"B", "C", "D"} or division == "51":
        return revenue >= 20_000_000
    if division == "52" or section == "H":
        return revenue >= 5_000_000
    return revenue >= 10_000_000


def person_name(codes: Sequence[int]) -> str:
    surname = SURNAMES[int(codes[0]) % len(SURNAMES)]
    given = GIVEN[int(codes[1]) % len(GIVEN)]
    if int(codes[2]) % 3:
        given += GIVEN[int(codes[2]) % len(GIVEN)]
    return surname + given


def months_back(today: dt.date, count: int) -> list[str]:
    """The `count` full months before today's, oldest first, as YYYY-MM."""
    out = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]
