from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains (one per stream); exit non-zero when a record was altered."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"audit chain {report.stream or '(main)'!r} broken at record id {report.broken_at}: "
                               f"{report.reason}")
        self.stdout.write(f"audit chain intact: {report.checked} records in {report.streams} streams")
