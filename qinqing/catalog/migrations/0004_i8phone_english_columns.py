from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_i8data_kind_unit_licence_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="matter",
            name="licence_name_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="English name of the document issued"),
        ),
        migrations.AddField(
            model_name="matter",
            name="legal_basis_en",
            field=models.TextField(blank=True, verbose_name="English legal basis"),
        ),
        migrations.AddField(
            model_name="formfield",
            name="help_text_en",
            field=models.CharField(blank=True, max_length=400, verbose_name="English help text"),
        ),
        migrations.AddField(
            model_name="materialrequirement",
            name="note_en",
            field=models.CharField(blank=True, max_length=400, verbose_name="English note"),
        ),
    ]
