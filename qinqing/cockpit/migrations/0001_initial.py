from django.db import migrations


class Migration(migrations.Migration):
    """The app's first migration: its models arrive in the next ones."""

    initial = True
    dependencies: list[tuple[str, str]] = []
    operations: list[migrations.operations.base.Operation] = []
