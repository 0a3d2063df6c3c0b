"""Work orders of kind `visit`: a cockpit visit task of the grid's staff."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('servicedesk', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='workorder',
            name='kind',
            field=models.CharField(choices=[('message', 'Message left'), ('appeal', 'Appeal'), ('case', 'About a case'), ('rectification', 'Rectification'), ('visit', 'Visit')], max_length=16, verbose_name='kind'),
        ),
    ]
