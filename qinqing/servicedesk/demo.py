"""Demo D小二 at three levels (杭州 / 滨江区 / 长河·西兴·浦沿) with every role; each demo enterprise gets its street's."""

from __future__ import annotations

from django.db import transaction

from qinqing.accounts.models import Enterprise, User
from qinqing.accounts.services import create_staff
from qinqing.regions.models import Region
from qinqing.servicedesk.models import Dedication, DeskProfile, DeskRole, Level
from qinqing.servicedesk.services.sla import policy_for

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
