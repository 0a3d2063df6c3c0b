from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.checkpoints import CheckpointError, write_checkpoint
from qinqing.audit.keys import KeyringError, rotate


class Command(BaseCommand):
    help = ("Make a new audit key current; the old keys stay in the key file so that the records they "
            "sealed still verify. A checkpoint under the old key is written first, anchoring everything it "
            "sealed. Running processes pick the new key up at their next audit record.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-checkpoint", action="store_true",
                            help="rotate without first writing a checkpoint under the old key")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_checkpoint"]:
            try:
                done = write_checkpoint()
                self.stdout.write(f"checkpoint {done.line} written under the old key")
            except CheckpointError as exc:  # a compromised key must still be replaceable
                self.stderr.write(self.style.ERROR(f"no checkpoint written, rotating anyway: {exc}"))
        try:
            key_id = rotate()
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"audit key {key_id} is now current; keep a backup of the key file")
