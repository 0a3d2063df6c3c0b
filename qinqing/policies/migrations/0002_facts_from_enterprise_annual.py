"""Policy versions read the one annual source: `indicators.<field>` becomes `annual.<field>`.

The same facts under their new names (rd_expense is now rd_spend); the terms of a version do not
change, so the versions are rewritten in place rather than versioned again. Entitlements keep the
reasons (with the source) they were granted on.
"""

import json

from django.db import migrations

RENAMES = (("indicators.rd_expense", "annual.rd_spend"), ("indicators.", "annual."))


def _renamed(value):
    text = json.dumps(value, ensure_ascii=False)
    for old, new in RENAMES:
        text = text.replace(f'"{old}', f'"{new}')
    return json.loads(text)


def rename_facts(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    for version in PolicyVersion.objects.all():
        eligibility, amount = _renamed(version.eligibility), _renamed(version.amount)
        if eligibility != version.eligibility or amount != version.amount:
            PolicyVersion.objects.filter(pk=version.pk).update(eligibility=eligibility, amount=amount)


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0001_initial"),
        ("datahub", "0004_one_annual_source"),
    ]

    operations = [
        migrations.RunPython(rename_facts, migrations.RunPython.noop),
    ]
