from django.db import migrations, models

import qinqing.catalog.models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='materialrequirement',
            name='satisfied_by',
            field=models.CharField(blank=True, help_text='Empty: the applicant uploads it. "form": the online form is this material. A data source (market_registry, land_contracts, project_codes, social_insurance, housing_fund, tax_registration, qualifications), or licences:<MATTER-CODE> for an e-licence the platform issued for that matter.', max_length=64, validators=[qinqing.catalog.models.validate_satisfied_by], verbose_name='satisfied by shared data'),
        ),
    ]
