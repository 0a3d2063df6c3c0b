from typing import Any

from django.core.management.base import BaseCommand

from qinqing.catalog.services import load_catalog


class Command(BaseCommand):
    help = "Load boards, departments, matters, forms, materials and rule sets from the shipped data files."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = load_catalog()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
