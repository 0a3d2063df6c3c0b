import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import qinqing.cases.models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_i8roster_enrolments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("form_key", models.CharField(max_length=128)),
                ("requirement_code", models.CharField(max_length=64, verbose_name="material")),
                ("file", models.FileField(max_length=200, upload_to=qinqing.cases.models._pending_path)),
                ("stored_name", models.CharField(max_length=80)),
                ("original_name", models.CharField(max_length=255, verbose_name="file name")),
                ("content_type", models.CharField(max_length=100)),
                ("size", models.PositiveIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField()),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "file kept for a form",
                "verbose_name_plural": "files kept for forms",
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["user", "form_key"], name="pending_upload_form")],
            },
        ),
    ]
