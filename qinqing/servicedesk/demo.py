"""Demo D小二 at three levels (杭州 / 滨江区 / 长河·西兴·浦沿) with every role; each demo enterprise gets its street's."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise, User
from qinqing.accounts.services import create_staff
from qinqing.audit.services import record_event
from qinqing.core import calendar, clock, events
from qinqing.regions.models import Region
from qinqing.servicedesk.models import Conversation, Dedication, DeskProfile, DeskRole, Level, Message, Step
from qinqing.servicedesk.services.sla import policy_for
from qinqing.servicedesk.workflow import ChatStatus

C, B, A, S, T = DeskRole.CHIEF, DeskRole.BUSINESS, DeskRole.ANSWERING, DeskRole.SUPERVISING, DeskRole.TECHNICAL

# username, display name, level, region code, roles, topics (department codes)
DESK_STAFF: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("hz_chief", "首席D小二 王敏（市）", Level.CITY, "330100", (C,), ()),
    ("hz_business", "业务D小二 陈立（市）", Level.CITY, "330100", (B, A), ("SCJG", "RSJ")),
    ("hz_supervisor", "督办D小二 赵强（市）", Level.CITY, "330100", (S,), ()),
    ("hz_tech", "技术D小二 孙浩（市）", Level.CITY, "330100", (T,), ()),
    ("bj_chief", "首席D小二 周红（滨江区）", Level.DISTRICT, "330108", (C,), ()),
    ("bj_answer", "应答D小二 吴静（滨江区）", Level.DISTRICT, "330108", (A,), ()),
    ("bj_business", "业务D小二 郑斌（滨江区）", Level.DISTRICT, "330108", (B,), ("FGW", "SCJG")),
    ("bj_supervisor", "督办D小二 冯雪（滨江区）", Level.DISTRICT, "330108", (S,), ()),
    ("bj_tech", "技术D小二 褚磊（滨江区）", Level.DISTRICT, "330108", (T,), ()),
    ("changhe_dxe", "D小二 李娜（长河街道）", Level.STREET, "330108002", (A, B), ()),
    ("changhe_chief", "首席D小二 卫东（长河街道）", Level.STREET, "330108002", (C, S), ()),
    ("xixing_dxe", "D小二 蒋芳（西兴街道）", Level.STREET, "330108001", (A, B), ()),
    ("xixing_chief", "首席D小二 沈涛（西兴街道）", Level.STREET, "330108001", (C, S), ()),
    ("puyan_dxe", "D小二 韩梅（浦沿街道）", Level.STREET, "330108003", (A, B), ()),
    ("puyan_supervisor", "督办D小二 杨帆（浦沿街道）", Level.STREET, "330108003", (S,), ()),
    ("puyan_chief", "首席D小二 朱勇（浦沿街道）", Level.STREET, "330108003", (C,), ()),
)


@transaction.atomic
def load_desk_demo(password: str) -> int:
    """Create the demo D小二 and dedicate each demo enterprise to its street's; safe to run twice."""
    policy_for("chat")
    policy_for("work_order")
    for username, name, level, region, roles, topics in DESK_STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            # A D小二 reads its region's enterprises as street or district staff do (the seat console shows
            # their cases, licences and payouts); a street's D小二 is also a government agent (代办员): with an
            # enterprise's authorisation it starts a 一件事 on its behalf from the console (政府替办).
            ladder = "street_staff" if level == Level.STREET else "district_staff"
            user = create_staff(username=username, password=password, department=None,
                                roles=[ladder, *(["agent"] if username.endswith("_dxe") else [])], region=region,
                                display_name=name)
        DeskProfile.objects.get_or_create(user=user, defaults={
            "level": level, "roles": list(roles), "region": Region.objects.get(code=region), "topics": list(topics),
            "available": True, "max_concurrent": 5})
    streets = {desk.region.path: desk.user for desk in DeskProfile.objects.select_related("region", "user")
               .filter(level=Level.STREET, user__username__endswith="_dxe")}
    for enterprise in Enterprise.objects.select_related("region").filter(region__isnull=False, dedication__isnull=True):
        for path, staff in streets.items():
            if enterprise.region is not None and enterprise.region.path.startswith(path):
                Dedication.objects.create(enterprise=enterprise, staff=staff)
                break
    return len(DESK_STAFF)


# ---- a past consultation for the demo ------------------------------------------------------------------------

def service_moment(before: dt.datetime, *, days_back: int, minutes: int) -> dt.datetime:
    """A moment `minutes` after opening on the working day `days_back` days (or more) before `before`, inside the
    desk's service hours on the `core` clock (09:00–21:00 by default), whatever the hour of `before`."""
    hours = clock.service_hours()
    day = clock.local(before).date() - dt.timedelta(days=max(days_back, 1))
    while day.weekday() >= 5 or calendar.is_holiday(day) or not hours.is_service_day(day):
        day -= dt.timedelta(days=1)
    opens = dt.datetime.combine(day, hours.opens)
    # Leave the last half hour (or the last half of a short day) for the chat to be answered and closed in.
    seconds = (dt.datetime.combine(day, hours.closes) - opens).total_seconds()
    span = max(int(seconds - min(1800.0, seconds / 2)), 1)
    return timezone.make_aware(opens + dt.timedelta(seconds=(minutes * 60) % span), timezone.get_default_timezone())


def seed_answered_chat(*, user: User, staff: User, at: dt.datetime, question: str, answer: str,
                       answered_after: dt.timedelta) -> Conversation:
    """Write a past consultation as the chat services leave one that was handed to a D小二 at `at` (in service hours),
    answered `answered_after` later and closed: its messages, timeline and clock, dated then.

    For the demo only: `loaddemo` may run at night, when a live hand-over is refused (the services leave a
    non-service-hours note instead); the live rules are untouched.
    """
    enterprise = user.enterprise
    assert enterprise is not None
    answered = at + answered_after
    closed = answered + dt.timedelta(minutes=4)
    with events.atomic():
        conversation = Conversation.objects.create(
            enterprise=enterprise, region=enterprise.region, opened_by=user, status=ChatStatus.CLOSED, owner=staff,
            assignee=staff, handed_over_at=at, first_response_at=answered, closed_at=closed, closures=1)
        lines = (
            (Message.Author.ASSISTANT, None, _("您好，我是亲清智能客服。请描述您的问题；需要人工时请输入“转人工”。"),
             at - dt.timedelta(seconds=50)),
            (Message.Author.ENTERPRISE, user, question, at - dt.timedelta(seconds=20)),
            (Message.Author.SYSTEM, None, _("正在为您转接人工服务（D小二），请稍候。"), at),
            (Message.Author.STAFF, staff, answer, answered),
            (Message.Author.SYSTEM, None, _("本次咨询已结束，请为我们的服务评价。"), closed),
        )
        for seq, (kind, author, text, moment) in enumerate(lines, start=1):
            message = Message.objects.create(conversation=conversation, seq=seq, author_kind=kind, author=author,
                                             text=text)
            Message.objects.filter(pk=message.pk).update(created_at=moment)  # auto_now_add: dated afterwards
        for action, actor, moment in (("handed_to_human", user, at), ("taken", staff, answered),
                                      ("closed", user, closed)):
            entry = Step.objects.create(conversation=conversation, action=action, actor=actor)
            Step.objects.filter(pk=entry.pk).update(at=moment)
        Conversation.objects.filter(pk=conversation.pk).update(created_at=at - dt.timedelta(seconds=50),
                                                               last_seq=len(lines))
        record_event(actor="loaddemo", action="servicedesk.demo_conversation_seeded", obj=conversation,
                     after={"handed_over_at": at.isoformat(), "first_response_at": answered.isoformat()})
    conversation.refresh_from_db()
    return conversation
