from django.db import migrations
from django.db.models import Case, OuterRef, Subquery, Value, When


def grade_latest_scans(apps, schema_editor):
    """Each item takes the grade of its latest applicant scan, as reviews.scans.store now
    keeps it: 2 when that scan matches the submitted version, 1 when it does not or was not
    read, 0 (the default) with no scan."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    StampedScan = apps.get_model("reviews", "StampedScan")
    for app_label, model_name in (("applications", "application"), ("bases", "assessment")):
        model = apps.get_model(app_label, model_name)
        content_type = ContentType.objects.filter(app_label=app_label, model=model_name).first()
        if content_type is None:  # a new database: nothing uploaded yet
            continue
        latest = (
            StampedScan.objects.filter(
                content_type=content_type, object_id=OuterRef("pk"), kind="applicant"
            )
            .order_by("-uploaded_at", "-id")
            .annotate(grade=Case(When(matches=True, then=Value(2)), default=Value(1)))
            .values("grade")[:1]
        )
        scanned = StampedScan.objects.filter(content_type=content_type, kind="applicant")
        model.objects.filter(pk__in=scanned.values("object_id")).update(
            applicant_scan=Subquery(latest)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0017_stamped_scan_status"),
        ("bases", "0005_stamped_scan_status"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reviews", "0018_review_worklist"),
    ]

    operations = [migrations.RunPython(grade_latest_scans, migrations.RunPython.noop)]
