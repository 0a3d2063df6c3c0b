from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qinqing.audit.keys import KeyringError, rotate


class Command(BaseCommand):
    help = ("Make a new audit key current; the old keys stay in the key file so that the records they "
            "sealed still verify. Running processes pick the new key up at their next audit record.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key_id = rotate()
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"audit key {key_id} is now current; keep a backup of the key file")
