import django.db.models.deletion
from django.db import migrations, models


def describe_existing_sources(apps, schema_editor):
    """The registry was the only source: give it the prefix and key its facts always had."""
    Source = apps.get_model("datahub", "Source")
    for source in Source.objects.all():
        registry = source.code == "market_registry"
        source.fact_prefix = "registry" if registry else source.code.replace("-", "_")[:32]
        source.key_field = "uscc" if registry else source.key_field
        source.adapter = "registry" if registry else "table"
        source.save(update_fields=["fact_prefix", "key_field", "adapter"])


def leave_room_for_updates(apps, schema_editor):
    """Imports rewrite most rows in place; free space per page lets PostgreSQL update without touching indexes (HOT)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("datahub_registryrecord", "datahub_datarecord"):
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} SET (fillfactor = 70)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("datahub_registryrecord", "datahub_datarecord"):
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("datahub", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="department_code",
            field=models.CharField(blank=True, max_length=16, verbose_name="supplying department code"),
        ),
        migrations.AddField(
            model_name="source",
            name="description",
            field=models.TextField(blank=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="source",
            name="fact_prefix",
            # No index yet: the AlterField below adds the unique one (and PostgreSQL's _like index) once.
            field=models.SlugField(db_index=False, default="", max_length=32, verbose_name="fact prefix"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="source",
            name="provides_facts",
            field=models.BooleanField(default=True, help_text="The most recent record gives prefill and rule facts; off for sources of many records.", verbose_name="provides facts"),
        ),
        migrations.AddField(
            model_name="source",
            name="fields",
            field=models.JSONField(blank=True, default=list, help_text="A list of {name, label, label_en, type: text|integer|decimal|date, required, max_length}.", verbose_name="fields"),
        ),
        migrations.AddField(
            model_name="source",
            name="key_field",
            field=models.CharField(default="", help_text="The field identifying a record.", max_length=32, verbose_name="key field"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="source",
            name="category_field",
            field=models.CharField(blank=True, max_length=32, verbose_name="category field"),
        ),
        migrations.AddField(
            model_name="source",
            name="title_field",
            field=models.CharField(blank=True, max_length=32, verbose_name="title field"),
        ),
        migrations.AddField(
            model_name="source",
            name="readers",
            field=models.JSONField(blank=True, default=list, help_text='Department codes whose staff may read this source, or ["*"] for all government staff.', verbose_name="readers"),
        ),
        migrations.AddField(
            model_name="source",
            name="adapter",
            field=models.CharField(choices=[("table", "Generic table"), ("registry", "Market-supervision registry table")], default="table", max_length=32, verbose_name="adapter"),
        ),
        migrations.AddField(
            model_name="source",
            name="last_imported_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last imported at"),
        ),
        migrations.AddField(
            model_name="source",
            name="order",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="order"),
        ),
        migrations.AlterModelOptions(
            name="source",
            options={"ordering": ["order", "code"], "verbose_name": "data source", "verbose_name_plural": "data sources"},
        ),
        migrations.RunPython(describe_existing_sources, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="source",
            name="fact_prefix",
            field=models.SlugField(help_text="Facts are named <prefix>.<field>, e.g. land.area.", max_length=32, unique=True, verbose_name="fact prefix"),
        ),
        migrations.CreateModel(
            name="DataRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uscc", models.CharField(db_index=True, max_length=18, verbose_name="unified social credit code")),
                ("key", models.CharField(max_length=64, verbose_name="key")),
                ("category", models.CharField(blank=True, db_index=True, max_length=64, verbose_name="category")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("data", models.JSONField(default=dict, verbose_name="data")),
                ("as_of", models.DateTimeField(verbose_name="as of")),
                ("imported_at", models.DateTimeField(verbose_name="imported at")),
                ("source", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="records", to="datahub.source")),
            ],
            options={
                "verbose_name": "data record",
                "verbose_name_plural": "data records",
                "ordering": ["source", "key"],
                "constraints": [models.UniqueConstraint(fields=("source", "key"), name="datahub_record_source_key")],
            },
        ),
        migrations.RunPython(leave_room_for_updates, fill_pages),
    ]
