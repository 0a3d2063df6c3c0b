from django.db import migrations, models

# PostgreSQL only: a GIN index over the character pairs (bigrams) of each enterprise name. Chinese searches are
# mostly two characters (滨江, 星辰), which a trigram index cannot answer (it scans every name); the pairs can.
# The function is IMMUTABLE (the same name always gives the same pairs), so it may index an expression.
PG_BIGRAMS = [
    """CREATE OR REPLACE FUNCTION qq_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
        FROM generate_series(1, greatest(char_length(t) - 1, 0)) AS i
    $$""",
    "CREATE INDEX IF NOT EXISTS enterprise_name_bigrams ON accounts_enterprise USING gin (qq_bigrams(name))",
]
PG_BIGRAMS_REVERSE = [
    "DROP INDEX IF EXISTS enterprise_name_bigrams",
    "DROP FUNCTION IF EXISTS qq_bigrams(text)",
]


def add_bigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BIGRAMS:
            schema_editor.execute(statement)


def drop_bigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BIGRAMS_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_i8desk_sms_codes'),
        ('cases', '0008_case_synthetic_history'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['status', '-submitted_at', '-id'], name='case_status_newest'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('title', ''), _negated=True), fields=['title'], name='case_titled'),
        ),
        migrations.RunPython(add_bigrams, drop_bigrams),
    ]
