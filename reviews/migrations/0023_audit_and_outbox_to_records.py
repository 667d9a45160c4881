"""The audit trail and the outbox now belong to `records`: state only, no table changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0001_initial'),
        ('reviews', '0022_assignment_reminded_hours'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='auditrecord',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='auditrecord',
                    name='content_type',
                ),
                migrations.RemoveField(
                    model_name='auditrecord',
                    name='organisation',
                ),
                migrations.AlterField(
                    model_name='submittedcontent',
                    name='record',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='content', serialize=False, to='records.auditrecord'),
                ),
                migrations.DeleteModel(
                    name='OutboundMail',
                ),
                migrations.DeleteModel(
                    name='AuditRecord',
                ),
            ],
        ),
    ]
