from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.verify import verify_chain


class Command(BaseCommand):
    help = ("Verify the audit trail's keyed hash chains (one per stream) against the audit keys and the "
            "checkpoint file; exit non-zero when a record was altered, deleted, inserted or moved.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            where = f" at record id {report.broken_at}" if report.broken_at is not None else ""
            raise CommandError(f"audit chain {report.stream or '(main)'!r} broken{where}: {report.reason}")
        self.stdout.write(f"audit chain intact: {report.checked} records in {report.streams} streams, "
                          f"held to {report.checkpoints} checkpoints")
        if not report.checkpoints:
            self.stdout.write(self.style.WARNING(
                "no checkpoint yet: deleting the newest records cannot be detected until "
                "`qinqing auditcheckpoint` (or the worker's periodic task) has run"))
        if report.unsealed:
            self.stdout.write(self.style.WARNING(
                f"{report.unsealed} records written before keying are covered by no checkpoint yet: "
                "run `qinqing auditcheckpoint` now"))
