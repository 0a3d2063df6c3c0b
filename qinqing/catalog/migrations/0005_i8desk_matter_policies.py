# A matter's duplicate policy and its time limit after referral to manual review (issue 8, §2 and §6).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_i8phone_english_columns")]

    operations = [
        migrations.AddField(
            model_name="matter", name="manual_limit",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="time limit after referral to manual review",
                help_text="For a matter decided automatically: the time the department has when the rules refer a "
                          "case to a person, counted from the referral. Empty: the statutory time limit."),
        ),
        migrations.AddField(
            model_name="matter", name="manual_unit",
            field=models.CharField(choices=[("working_days", "working days"), ("calendar_days", "calendar days")],
                                   default="working_days", max_length=16, verbose_name="unit"),
        ),
        migrations.AddField(
            model_name="matter", name="duplicate_policy",
            field=models.CharField(
                choices=[("many", "Any number"), ("one_open", "One open application at a time"),
                         ("one_per_period", "One per period"), ("one_per_project", "One per project")],
                default="many", max_length=16, verbose_name="applications an enterprise may hold"),
        ),
        migrations.AddField(
            model_name="matter", name="duplicate_period",
            field=models.CharField(blank=True, choices=[("year", "year"), ("quarter", "quarter"), ("month", "month")],
                                   help_text="For “one per period”.", max_length=8, verbose_name="period"),
        ),
        migrations.AddField(
            model_name="matter", name="duplicate_project_field",
            field=models.CharField(blank=True, help_text="For “one per project”: the key of the form field that "
                                                         "names the project.",
                                   max_length=64, verbose_name="project field"),
        ),
        migrations.AddField(
            model_name="matter", name="single_valid_licence",
            field=models.BooleanField(default=False, help_text="Refuse a new application while the enterprise holds "
                                                               "a valid licence of this matter.",
                                      verbose_name="one valid licence per enterprise"),
        ),
    ]
