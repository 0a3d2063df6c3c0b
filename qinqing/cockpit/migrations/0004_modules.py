"""Street modules (CockpitModule): configuration as data, one per region node and key."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):


    dependencies = [
        ('cockpit', '0003_visits'),
        ('regions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CockpitModule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(max_length=48, verbose_name='key')),
                ('title', models.CharField(max_length=64, verbose_name='title')),
                ('title_en', models.CharField(blank=True, max_length=96, verbose_name='title in English')),
                ('spec', models.JSONField(default=dict, help_text='Measures, filters, grouping and chart kind as JSON; checked on save.', verbose_name='specification')),
                ('order', models.PositiveSmallIntegerField(default=100, verbose_name='order')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cockpit_modules', to='regions.region', verbose_name='region')),
            ],
            options={
                'verbose_name': 'cockpit module',
                'verbose_name_plural': 'cockpit modules',
                'ordering': ['order', 'key'],
                'constraints': [models.UniqueConstraint(fields=('region', 'key'), name='cockpit_module_key_per_region')],
            },
        ),
    ]
