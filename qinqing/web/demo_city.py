"""A dense demo street tree: a few hundred synthetic enterprises across 滨江 (streets, communities, the demo
buildings' units), with moves, deregistrations, payouts and a case history, so every cockpit card has something
to show.

The enterprises come from `gencity`'s generator (rows marked `synthetic=True`, removed by `gencity --clear`);
their moves and deregistrations go through the registry import, their payouts through the policies' own
matching, and their cases come from `genhistory`'s builder with the events the case services emit (the
cockpit's cases handled and 秒办 share count them as they count real cases), exactly as real data would. The test suite's demo leaves this out (its figures stay small).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from qinqing.accounts.models import Enterprise
from qinqing.cases.synthetic import HistoryPlan, generate_history
from qinqing.cockpit.services.ingest import CONSUMER as COCKPIT_CONSUMER
from qinqing.core import events
from qinqing.datahub.models import RegistryRecord
from qinqing.datahub.services import import_records
from qinqing.datahub.synthetic.city import CityPlan, generate_city
from qinqing.datahub.synthetic.people import ACTIVE
from qinqing.policies.models import BankAccount
from qinqing.regions.models import Region

DISTRICT = "330108"  # 滨江区
CITY_ENTERPRISES = 300
CASES_PER_ENTERPRISE, HISTORY_YEARS = 8, 2  # the demo's case history: 2,400 cases over two years for 300
SEED = 20201125
MOVES_WITHIN, MOVES_OUT, DEREGISTRATIONS = 18, 6, 9
ELSEWHERE = "330106"  # 西湖区: where the enterprises moving out of 滨江 go
BANKS = ("中国工商银行杭州高新支行", "中国建设银行杭州滨江支行", "杭州银行科技支行", "浙商银行杭州分行营业部")
REGISTRY_FIELDS = ("name", "legal_representative", "registered_capital", "industry_code", "industry_name",
                   "entity_type", "address", "region_code", "established_on", "status")


def _bank_accounts(usccs: list[str]) -> int:
    """Most synthetic enterprises have given an account (免申即享 pays them); one in six has not yet."""
    accounts = [BankAccount(enterprise=e, bank_name=BANKS[i % len(BANKS)], account_name=e.name,
                            number=f"6222{(i * 7919 + 13) % 10 ** 12:012d}", confirmed_at=timezone.now())
                for i, e in enumerate(Enterprise.objects.filter(uscc__in=usccs).order_by("uscc")) if i % 6]
    BankAccount.objects.bulk_create(accounts)
    return len(accounts)


def _changes(rng: random.Random, active: list[RegistryRecord]) -> list[dict[str, Any]]:
    """Registry rows for moves inside 滨江 (to another community), out of 滨江, and deregistrations."""
    district = Region.objects.get(code=DISTRICT)
    communities = list(Region.objects.filter(path__startswith=district.path, level=Region.Level.COMMUNITY)
                       .values_list("code", flat=True).order_by("code"))
    elsewhere = Region.objects.filter(code=ELSEWHERE).first()
    outside = list(Region.objects.filter(path__startswith=elsewhere.path, level=Region.Level.STREET)
                   .values_list("code", flat=True).order_by("code")) if elsewhere else []
    chosen = rng.sample(active, min(len(active), MOVES_WITHIN + MOVES_OUT + DEREGISTRATIONS))
    rows = []
    for n, record in enumerate(chosen):
        row = {"uscc": record.uscc, **{f: getattr(record, f) for f in REGISTRY_FIELDS}}
        if n < MOVES_WITHIN:
            row["region_code"] = rng.choice([c for c in communities if not record.region_code.startswith(c)])
        elif n < MOVES_WITHIN + MOVES_OUT and outside:
            row["region_code"] = rng.choice(outside)
        else:
            row["status"] = "注销"
        rows.append(row)
    return rows


def load_demo_city(enterprises: int = CITY_ENTERPRISES) -> dict[str, int]:
    """Add the synthetic enterprises once (a second run finds them and does nothing)."""
    if enterprises <= 0 or RegistryRecord.objects.filter(synthetic=True, region_code__startswith=DISTRICT).exists():
        return {}
    counts = generate_city(CityPlan(enterprises=enterprises, seed=SEED, batch=enterprises, months=6, years=3,
                                    within=DISTRICT))
    synthetic = list(RegistryRecord.objects.filter(synthetic=True, region_code__startswith=DISTRICT).order_by("uscc"))
    accounts = _bank_accounts([r.uscc for r in synthetic if r.status in ACTIVE])
    # The cockpit must have seen them where they were born for a move or a deregistration to be one: let its
    # consumer place them now (the other consumers follow in the worker), then change the registry.
    events.consume(COCKPIT_CONSUMER, batches=10_000)
    rng = random.Random(SEED)
    rows = _changes(rng, [r for r in synthetic if r.status in ACTIVE])
    if rows:
        import_records(source_code="market_registry", rows=rows, actor="loaddemo")
    history = generate_history(HistoryPlan(cases=CASES_PER_ENTERPRISE * enterprises, enterprises=0, seed=SEED,
                                           batch=5_000, years=HISTORY_YEARS, demo_share=0.0))
    return {"synthetic_enterprises": counts["enterprises"], "synthetic_bank_accounts": accounts,
            "synthetic_cases": history["cases"],
            "synthetic_registry_changes": len(rows), "desk_demo_items": load_demo_desk_activity()}


# ---- the service desk's own demo activity (the cockpit's desk card) -----------------------------------

DESK_LEVELS = ("very_satisfied", "satisfied", "very_satisfied", "basically_satisfied", "dissatisfied", "satisfied")
APPEALS = (("appeal", "厂房租金补贴申请进度咨询", "我司上月提交的厂房租金补贴，想了解目前审核进度。"),
           ("message", "人才公寓申请材料", "请问人才公寓申请需要准备哪些材料？"),
           ("appeal", "办公楼停车位不足", "园区停车位长期不足，希望协调增加临时车位。"))
CHATS = (("请问高新技术企业认定今年什么时候开始申报？", "您好，今年的申报窗口本月底截止，我把申报指南发您。"),
         ("我们想招用应届毕业生，有哪些社保补贴可以申请？", "您好，可申请吸纳高校毕业生社保补贴，我把办理入口和材料清单发您。"),
         ("公司地址要从西兴搬到浦沿，需要办哪些手续？", "您好，可在“一件事”里办企业迁移登记，我帮您预约了线上指导。"))


def load_demo_desk_activity() -> int:
    """A few chats and work orders of the demo enterprises with their dedicated D小二, resolved and rated on the
    five levels (a bad rating opens its rectification). Work orders and ratings go through the desk's own services;
    each chat is a past consultation answered in service hours (`seed_answered_chat`), whatever the hour now.
    Once only."""
    from qinqing.accounts.models import User
    from qinqing.servicedesk.demo import seed_answered_chat, service_moment
    from qinqing.servicedesk.models import Dedication, Evaluation
    from qinqing.servicedesk.services import orders, ratings

    if Evaluation.objects.exists():
        return 0
    done = 0
    dedications = Dedication.objects.select_related("staff", "enterprise").order_by("enterprise__uscc")
    for n, dedication in enumerate(dedications):
        user = User.objects.filter(enterprise=dedication.enterprise, kind=User.Kind.ENTERPRISE).order_by("pk").first()
        if user is None:
            continue
        kind, title, body = APPEALS[n % len(APPEALS)]
        order = orders.file_work_order(user=user, kind=kind, title=title, body=body)
        if n % 4 != 3:  # one in four is still being handled
            orders.take_work_order(order=order, staff=dedication.staff)
            orders.resolve_work_order(order=order, staff=dedication.staff, resolution="已答复企业并办结。")
            order.refresh_from_db()
            ratings.rate(item=order, user=user, level=DESK_LEVELS[n % len(DESK_LEVELS)])
        # A consultation of a past working day, handed to the D小二 in service hours and answered (one in six after the
        # 3-minute clock): a demo loaded at night shows the desk's response share too. Rated through the desk.
        question, answer = CHATS[n % len(CHATS)]
        at = service_moment(timezone.now(), days_back=1 + n % 12, minutes=60 + 47 * n)
        late = n % 6 == 5
        conversation = seed_answered_chat(
            user=user, staff=dedication.staff, at=at, question=question, answer=answer,
            answered_after=dt.timedelta(minutes=5) if late else dt.timedelta(seconds=35 + (29 * n) % 120))
        ratings.rate(item=conversation, user=user, level=DESK_LEVELS[(n + 1) % len(DESK_LEVELS)])
        done += 1
    return done
