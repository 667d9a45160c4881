"""Benchmark: the recommender's queue and the bureau's list with 10,000 items.

Prints, for a 50-row page: SQL queries per request, median time, and the ratio to a bare Django
view that renders a 50-row table with no database (measured in the same run).
Target (issue 3): at most 10 queries and at most 10x the bare view.

    .venv/bin/python benchmarks/queue_bench.py [--items 10000] [--repeat 30]

Uses a throw-away SQLite file unless DATABASE_URL is set (then a fresh test database on it).
"""

import argparse
import os
import statistics
import time

from common import fresh_database, make_call, make_organisations
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.shortcuts import render
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path

BARE_ROWS = [
    {
        "reference": f"ZJ2026-{i:05d}",
        "name": f"第{i}专家服务团",
        "unit": f"上海市第{i}人民医院",
        "category": "国家级",
        "field": "医疗卫生",
        "state": "已提交，待推荐单位受理",
    }
    for i in range(50)
]


STATISTICS = "bureau statistics (统计)"


@login_not_required
def bare_view(request):
    return render(request, "benchmarks/bare_table.html", {"rows": BARE_ROWS})


urlpatterns = [
    path("bare/", bare_view),
    path("", include("portal.urls")),
]


def populate(n: int):
    from decimal import Decimal

    from django.utils import timezone

    from applications.models import Application
    from shanghai_experts.models import Organisation, User
    from shanghai_experts.states import State

    fresh_database()
    call = make_call(applications_per_unit=n)
    bureau = Organisation.objects.create(kind="municipal", name="上海市人力资源和社会保障局")
    districts, units = make_organisations()
    states = [State.SUBMITTED, State.UNDER_REVIEW, State.RETURNED, State.NOT_RECOMMENDED]
    now = timezone.now()
    Application.objects.bulk_create(
        [
            Application(
                call=call,
                unit=units[i % len(units)],
                recommender=units[i % len(units)].district,
                state=states[i % len(states)],
                name=f"第{i}专家服务团",
                category="national" if i % 2 else "municipal",
                service_field="医疗卫生",
                budget_total=Decimal("10"),
                submitted_at=now,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    # Base assessments sit beside the applications in both lists.
    from bases.models import Assessment, Base

    bases = Base.objects.bulk_create(
        Base(name=f"第{i}专家服务基地", host_unit=units[i], level="national", year_selected=2022)
        for i in range(48)
    )
    if connection.vendor == "sqlite":
        bases = list(Base.objects.order_by("id"))
    Assessment.objects.bulk_create(
        Assessment(
            call=call,
            base=base,
            unit=base.host_unit,
            recommender=base.host_unit.district,
            state=State.SUBMITTED,
            industry="医疗卫生",
            submitted_at=now,
        )
        for base in bases
    )
    district_user = User.objects.create_user(
        "bench_district", password="x", organisation=districts[0]
    )
    bureau_user = User.objects.create_user("bench_bureau", password="x", organisation=bureau)
    return district_user, bureau_user


def count_queries(client, url):
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if os.environ.get("BENCH_DEBUG"):
        print(response.content.decode()[:300], [q["sql"][:80] for q in queries.captured_queries])
    return len(queries)


def interleaved_times(targets, repeat):
    """Each (client, url) timed `repeat` times, taking them in turn and rotating which goes
    first each round, so neither drift nor a fixed order favours one side."""
    times = {label: [] for label, *_ in targets}
    for round_ in range(repeat):
        shift = round_ % len(targets)
        for label, client, url in targets[shift:] + targets[:shift]:
            start = time.perf_counter()
            client.get(url)
            times[label].append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()

    # No setup_test_environment(): it instruments every template render with a signal whose
    # receiver copies the context, which production never pays and which would weigh pages
    # that render many small templates (form widgets) far more than the bare view.
    with override_settings(
        ROOT_URLCONF=__name__,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ALLOWED_HOSTS=["testserver"],
        DEBUG=False,
        # The bureau's second login step is not what is measured: its sessions are past it.
        REQUIRE_2FA_ROLES=[],
    ):
        start = time.perf_counter()
        district_user, bureau_user = populate(args.items)
        print(
            f"database: {connection.vendor}; {args.items} items loaded in {time.perf_counter() - start:.1f} s"
        )
        targets = [("bare 50-row view (no database)", Client(), "/bare/")]
        for label, user in (("recommender queue", district_user), ("bureau list", bureau_user)):
            client = Client()
            client.force_login(user)
            targets.append((f"{label}, 50-row page", client, "/reviews/"))
        # The bureau's sorts and its search (名称或单位), each on its own.
        bureau_client = Client()
        bureau_client.force_login(bureau_user)
        for query in ("sort=-score_mean", "sort=name", "q=第7777专家"):
            targets.append((f"bureau list ?{query}", bureau_client, f"/reviews/?{query}"))
        # 统计: every figure of the call; its target is against the bureau list, not the bare
        # view (it aggregates every item, where a list page reads 50).
        targets.append((STATISTICS, bureau_client, "/reviews/statistics/"))
        queries = {label: count_queries(client, url) for label, client, url in targets}
        times = interleaved_times(targets, args.repeat)
        bare_times = times[targets[0][0]]
        bare, bare_min = statistics.median(bare_times), min(bare_times)
        worst = 0.0
        for label, values in times.items():
            median, fastest = statistics.median(values), min(values)
            ratio = median / bare
            if label != STATISTICS:
                worst = max(worst, ratio)
            print(
                f"{label}: median {median * 1000:.2f} ms (min {fastest * 1000:.2f}), "
                f"{queries[label]} queries, {ratio:.1f}x bare (min/min {fastest / bare_min:.1f}x)"
            )
        list_queries = max(q for label, q in queries.items() if label != STATISTICS)
        verdict = "PASS" if worst <= 10 and list_queries <= 10 else "FAIL"
        print(f"worst ratio: {worst:.1f}x (target <= 10x, <= 10 queries) {verdict}")
        stats_ratio = statistics.median(times[STATISTICS]) / statistics.median(
            times["bureau list, 50-row page"]
        )
        stats_verdict = "PASS" if stats_ratio <= 3 else "FAIL"
        print(
            f"统计 page: {stats_ratio:.2f}x the bureau list, {queries[STATISTICS]} queries "
            f"(target <= 3x) {stats_verdict}"
        )
        return 0 if verdict == stats_verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
