from django.db import migrations

#: Kept about an item, never submitted by its unit (shanghai_experts.models.ITEM_RECORD_FIELDS,
#: and the list's copy of the first 领衔专家): as written when this migration was.
RECORD_KEYS = (
    "paper_received_on",
    "paper_received_by",
    "applicant_scan",
    "leader_title_level",
    "leader_talents",
)


def drop_record_keys(apps, schema_editor):
    """Stored submissions lose the keys of records about the item that the snapshot used to
    take with the form (the paper receipt, and this release's 盖章件 grade and leader copy):
    they were never the unit's content, and with them the fingerprint of a stored version
    differed from the one its PDF now prints."""
    SubmittedContent = apps.get_model("reviews", "SubmittedContent")
    changed = []
    for content in SubmittedContent.objects.only("record_id", "data").iterator():
        data = content.data
        if isinstance(data, dict) and any(key in data for key in RECORD_KEYS):
            content.data = {k: v for k, v in data.items() if k not in RECORD_KEYS}
            changed.append(content)
    SubmittedContent.objects.bulk_update(changed, ["data"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0019_applicant_scan_backfill")]

    operations = [migrations.RunPython(drop_record_keys, migrations.RunPython.noop)]
