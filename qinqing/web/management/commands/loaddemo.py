from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.web.demo import DEMO_PASSWORD, ENTERPRISES, demo_uscc, load_demo
from qinqing.web.demo_city import CITY_ENTERPRISES


class Command(BaseCommand):
    help = "Load the demo city (regions, calendar, catalog, registry, enterprises, staff) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--logins-only", action="store_true")
        parser.add_argument("--city", type=int, default=CITY_ENTERPRISES,
                            help="synthetic enterprises placed across 滨江 for the cockpit (0: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["logins_only"]:
            counts = load_demo(city=options["city"])
            self.stdout.write("demo loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        self.stdout.write(f"演示账号 demo logins (password / 密码: {DEMO_PASSWORD})")
        for index, ent in enumerate(ENTERPRISES):
            self.stdout.write(f"  企业 enterprise  {demo_uscc(index)}  {ent.name}")
        self.stdout.write("  审批 reviewer    scjg_reviewer, rsj_reviewer, gjj_reviewer … (<department code>_reviewer)")
        self.stdout.write("  代办 agent       fgw_agent (authorised by the 2nd enterprise for 工业项目全流程审批), scjg_agent → /agent/")
        self.stdout.write("  数据 importer    data_importer → POST /api/v1/datahub/<source>/records, qinqing importdata")
        self.stdout.write("  街道 street      changhe_staff, xixing_staff, puyan_staff; 区 district binjiang_staff"
                          " (read-only: their region's enterprises, cases, licences) → 驾驶舱 /cockpit/, /cases/")
        self.stdout.write("  网格 grid        iotpark_grid (滨江物联网产业园), dongxin_grid (浦沿 东信社区): visit tasks"
                          " → /cockpit/visits/")
        self.stdout.write("  D小二 desk       changhe_dxe, xixing_dxe, puyan_dxe (street seats, dedicated to their enterprises);"
                          " bj_answer, bj_business, bj_supervisor, bj_chief, bj_tech (滨江区); hz_chief, hz_business,"
                          " hz_supervisor, hz_tech (杭州); changhe_chief, xixing_chief, puyan_supervisor, puyan_chief"
                          " → /service/console/")

        self.stdout.write("  政策 officer     kjj_officer, rsj_officer, jxj_officer (policy officers of 科技局, 人社局, 经信局)"
                          " → /policies/manage/")
        self.stdout.write("  管理 admin       admin  → /admin/")
