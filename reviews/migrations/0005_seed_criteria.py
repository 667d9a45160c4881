from django.db import migrations

DEFAULT_CRITERIA = (
    ("需求精准度", "服务需求是否来自基层、具体明确", 20),
    ("方案可行性", "服务内容、组织形式、时间安排是否切实可行", 25),
    ("专家力量", "领衔专家层次与团队结构是否匹配服务需求", 25),
    ("预期成效", "服务目标是否具体，能否解决1-2个具体问题", 20),
    ("经费合理性", "预算构成与来源是否合理", 10),
)


def seed(apps, schema_editor):
    Call = apps.get_model("shanghai_experts", "Call")
    Criterion = apps.get_model("reviews", "ScoringCriterion")
    for call in Call.objects.all():
        if Criterion.objects.filter(call=call).exists():
            continue
        Criterion.objects.bulk_create(
            Criterion(call=call, name=n, description=d, weight=w, max_points=10, position=i)
            for i, (n, d, w) in enumerate(DEFAULT_CRITERIA, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_scoresheet_scoringcriterion_score_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
