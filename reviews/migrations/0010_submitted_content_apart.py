"""Submitted content leaves the immutable audit record for a table of its own, so personal data
in it can be pseudonymised after the retention period without touching the record."""

import django.db.models.deletion
from django.db import migrations, models


def copy_snapshots(apps, schema_editor):
    AuditRecord = apps.get_model("reviews", "AuditRecord")
    SubmittedContent = apps.get_model("reviews", "SubmittedContent")
    batch = []
    for pk, data in (
        AuditRecord.objects.filter(snapshot__isnull=False).values_list("pk", "snapshot").iterator()
    ):
        batch.append(SubmittedContent(record_id=pk, data=data))
        if len(batch) >= 1000:
            SubmittedContent.objects.bulk_create(batch)
            batch = []
    SubmittedContent.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    # The records are append-only (a trigger refuses UPDATE): going back loses the content.
    pass


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0009_audit_append_only_trigger'),
    ]

    operations = [
        migrations.CreateModel(
            name='SubmittedContent',
            fields=[
                ('record', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='content', serialize=False, to='reviews.auditrecord')),
                ('data', models.JSONField(verbose_name='提交内容')),
                ('purged_at', models.DateTimeField(blank=True, null=True, verbose_name='脱敏时间')),
            ],
            options={
                'verbose_name': '提交内容',
                'verbose_name_plural': '提交内容',
            },
        ),
        migrations.RunPython(copy_snapshots, copy_back),
        migrations.RemoveField(
            model_name='auditrecord',
            name='snapshot',
        ),
    ]
