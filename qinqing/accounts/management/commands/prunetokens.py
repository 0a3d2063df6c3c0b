from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.accounts.services import prune_tokens
from qinqing.accounts.throttle import prune_attempts


class Command(BaseCommand):
    help = "Delete API tokens expired or revoked some days ago, and login attempts older than the login log keeps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-days", type=int, default=7, help="days to keep expired or revoked tokens")
        parser.add_argument("--attempt-days", type=int, default=30, help="days of login attempts to keep")

    def handle(self, *args: Any, **o: Any) -> None:
        import datetime as dt

        tokens = prune_tokens(keep=dt.timedelta(days=max(0, o["keep_days"])))
        attempts = prune_attempts(older_than=dt.timedelta(days=max(1, o["attempt_days"])))
        self.stdout.write(f"deleted {tokens} tokens and {attempts} login attempts")
