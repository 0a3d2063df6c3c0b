"""Visit tasks (走访), their records and the prompt thresholds per region."""

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_gencity_synthetic'),
        ('cockpit', '0002_read_models'),
        ('regions', '0001_initial'),
        ('servicedesk', '0002_workorder_visit_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Visit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uscc', models.CharField(db_index=True, max_length=18, verbose_name='unified social credit code')),
                ('enterprise_name', models.CharField(max_length=200, verbose_name='enterprise')),
                ('origin', models.CharField(choices=[('prompt', 'Visit prompt (new registration)'), ('manual', 'Arranged by staff')], max_length=16, verbose_name='origin')),
                ('status', models.CharField(choices=[('open', 'To visit'), ('visited', 'Visited, follow-up open'), ('closed', 'Closed after the visit')], default='open', max_length=16, verbose_name='status')),
                ('reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                ('registered_capital', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True, verbose_name='registered capital (yuan)')),
                ('raised_at', models.DateTimeField(verbose_name='raised at')),
                ('due_at', models.DateTimeField(verbose_name='due at')),
                ('due_provisional', models.BooleanField(default=False)),
                ('overdue_at', models.DateTimeField(blank=True, null=True, verbose_name='overdue since')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('enterprise', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.enterprise')),
                ('raised_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='region')),
                ('work_order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='servicedesk.workorder', verbose_name='work order')),
            ],
            options={
                'verbose_name': 'visit',
                'verbose_name_plural': 'visits',
                'ordering': ['due_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='VisitRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('visited_on', models.DateField(verbose_name='visited on')),
                ('attendees', models.CharField(max_length=500, verbose_name='attendees')),
                ('topics', models.JSONField(default=list, verbose_name='topics')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('recorded_at', models.DateTimeField(auto_now_add=True)),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('visit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='records', to='cockpit.visit')),
            ],
            options={
                'verbose_name': 'visit record',
                'verbose_name_plural': 'visit records',
                'ordering': ['visited_on', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='VisitThreshold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('min_capital', models.DecimalField(decimal_places=2, default=Decimal('10000000.00'), max_digits=16, verbose_name='registered capital from (yuan)')),
                ('new_within_days', models.PositiveSmallIntegerField(default=90, verbose_name='newly registered: established within (days)')),
                ('due_working_days', models.PositiveSmallIntegerField(default=5, verbose_name='visit within (working days)')),
                ('active', models.BooleanField(default=True, verbose_name='raise prompts')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('region', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='region')),
            ],
            options={
                'verbose_name': 'visit threshold',
                'verbose_name_plural': 'visit thresholds',
            },
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['status', 'due_at'], name='visit_status_due'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.UniqueConstraint(condition=models.Q(('origin', 'prompt')), fields=('uscc',), name='visit_one_prompt_each'),
        ),
    ]
