"""活动地点 picked from the national divisions: GB/T 2260 codes beside the names, and the codes
of the places already typed, where the names match the list exactly or without their usual
suffix (云南 / 云南省, 文山州 / 文山壮族苗族自治州). A place the list lacks keeps its typed name
and no code; a matched level takes the list's name."""

from django.db import migrations, models

from shanghai_experts.divisions import divisions


def backfill(apps, schema_editor):
    ServicePlace = apps.get_model("applications", "ServicePlace")
    places = divisions()
    rows = ServicePlace.objects.order_by("pk").only("province", "city", "county")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:2000]):
        last = batch[-1].pk
        changed = [place for place in batch if _match(places, place)]
        ServicePlace.objects.bulk_update(
            changed, ["province_code", "city_code", "county_code", "province", "city", "county"]
        )


def _match(places, place) -> bool:
    province, city, county = places.match_place(place.province, place.city, place.county)
    if not province:
        return False
    place.province_code, place.province = province, places.name(province)
    if city:
        place.city_code, place.city = city, places.city(city, province).name
    if county:
        place.county_code, place.county = county, places.name(county)
    return True


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0020_mohrss_approval"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceplace",
            name="province_code",
            field=models.CharField(
                blank=True, max_length=6, verbose_name="省（自治区、直辖市）代码"
            ),
        ),
        migrations.AddField(
            model_name="serviceplace",
            name="city_code",
            field=models.CharField(blank=True, max_length=6, verbose_name="地市代码"),
        ),
        migrations.AddField(
            model_name="serviceplace",
            name="county_code",
            field=models.CharField(blank=True, max_length=6, verbose_name="区县代码"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
