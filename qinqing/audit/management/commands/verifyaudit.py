from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit non-zero when a record was altered."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"audit chain broken at record #{report.broken_at}: {report.reason}")
        self.stdout.write(f"audit chain intact: {report.checked} records")
