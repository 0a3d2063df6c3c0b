from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.checkpoints import CheckpointError, checkpoint_file, write_checkpoint


class Command(BaseCommand):
    help = ("Append a signed checkpoint of every audit stream's head to the checkpoint file, and the records "
            "it newly covers to the export (both in QINQING_AUDIT_DIR); refuse when the chain does not verify.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = write_checkpoint()
        except CheckpointError as exc:
            raise CommandError(f"no checkpoint written: {exc}") from exc
        self.stdout.write(f"checkpoint {done.line} written to {checkpoint_file()}: {done.streams} streams moved, "
                          f"{done.exported} records exported to {done.export}")
