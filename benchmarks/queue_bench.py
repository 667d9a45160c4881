"""Benchmark: the recommender's queue, the bureau's list and 统计 as the call grows.

One district office holds every item (its queue is as long as the bureau's list); five units
have 优先支持. At each size (default 1,000 and 10,000; with PostgreSQL also 50,000) it prints,
for a 50-row page of every sort, the search and the filters (one matching nothing each): SQL queries per request, median and minimum time over interleaved rounds
(the order of the sides rotates each round), and the ratio to a bare Django view that renders
a 50-row table with no database. Targets: every list page at most 10 queries and at most 10x
the bare view; the 统计 page at most 3x the bureau list up to 10,000 items (issue 16's size; it
reads every item by design, so past that its growth is printed). Exits non-zero on a miss.

    .venv/bin/python benchmarks/queue_bench.py [--sizes 1000,10000,50000] [--repeat 30]

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
FLOOR = "bare view, bureau logged in (menus)"
#: Issue 16's size for the 统计 target (≤ 3x the bureau list): past it the page is printed
#: with its growth, as it reads every item by design.
STATISTICS_TARGET_SIZE = 10_000


@login_not_required
def bare_view(request):
    return render(request, "benchmarks/bare_table.html", {"rows": BARE_ROWS})


def bare_view_logged_in(request):
    """The same table for a logged-in user: session, user and menus, no list query. What any
    page of a logged-in user costs at least (printed for reference, not a target)."""
    return render(request, "benchmarks/bare_table.html", {"rows": BARE_ROWS})


urlpatterns = [
    path("bare/", bare_view),
    path("bare-logged-in/", bare_view_logged_in),
    path("", include("portal.urls")),
]


def setup(max_items: int):
    """One district office with every item of its own (the recommender's queue is then as
    long as the bureau's list), 200 units, the bureau, 48 base assessments."""
    from bases.models import Assessment, Base
    from shanghai_experts.models import Organisation, User
    from shanghai_experts.states import State

    fresh_database()
    (district,), units = make_organisations(units=200, districts=1)
    # A unit's own limit is a smallint: give each unit its share, not the whole count.
    call = make_call(applications_per_unit=max(1, -(-max_items // len(units))))
    bureau = Organisation.objects.create(kind="municipal", name="上海市人力资源和社会保障局")
    bases = Base.objects.bulk_create(
        Base(name=f"第{i}专家服务基地", host_unit=units[i], level="national", year_selected=2022)
        for i in range(48)
    )
    if connection.vendor == "sqlite":
        bases = list(Base.objects.order_by("id"))
    from django.utils import timezone

    def assess(call, bases, state, submitted_at=None):
        Assessment.objects.bulk_create(
            Assessment(
                call=call,
                base=base,
                unit=base.host_unit,
                recommender=district,
                state=state,
                industry="医疗卫生",
                submitted_at=submitted_at,
            )
            for base in bases
        )

    assess(call, bases, State.SUBMITTED, timezone.now())
    # 优先支持: five units host a base commended in the previous year's call (2.5% of items).
    assess(make_call(year=2025, title="上一年度"), bases[:5], State.COMMENDED)
    district_user = User.objects.create_user("bench_district", password="x", organisation=district)
    bureau_user = User.objects.create_user("bench_bureau", password="x", organisation=bureau)
    panel = Organisation.objects.create(kind="reviewers", name="评审专家组")
    reviewer = User.objects.create_user("bench_reviewer", password="x", organisation=panel)
    return call, district, units, district_user, bureau_user, reviewer


def add_items(call, district, units, start: int, count: int, reviewer, bureau_user) -> None:
    """Items start … start+count−1, in the states a recommender works on, scored or not;
    every one assigned to `reviewer` (待声明, 待评分, 已提交评分, 已回避 in turn)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from applications.models import Application
    from shanghai_experts.states import State

    states = [State.SUBMITTED, State.UNDER_REVIEW, State.RETURNED, State.NOT_RECOMMENDED]
    now = timezone.now()
    for offset in range(start, start + count, 5000):
        Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    unit=units[i % len(units)],
                    recommender=district,
                    state=states[i % len(states)],
                    name=f"第{i}专家服务团",
                    category="national" if i % 2 else "municipal",
                    service_field="医疗卫生",
                    budget_total=Decimal("10"),
                    requested_amount=Decimal(i % 20),
                    score_mean=Decimal(i % 97) if i % 3 else None,
                    score_spread=Decimal(i % 23) if i % 3 else None,
                    score_count=3 if i % 3 else 0,
                    submitted_at=now - datetime.timedelta(seconds=i),
                )
                for i in range(offset, min(offset + 5000, start + count))
            ],
            batch_size=1000,
        )
    from reviews.models import ReviewAssignment

    new = Application.objects.filter(call=call).order_by("id")[start : start + count]
    declarations = ["", "none", "none", "recused"]
    ReviewAssignment.objects.bulk_create(
        (
            ReviewAssignment(
                application_id=pk,
                reviewer=reviewer,
                assigned_by=bureau_user,
                declaration=declarations[pk % 4],
                scored_at=now if pk % 4 == 2 else None,
            )
            for pk in new.values_list("pk", flat=True).iterator()
        ),
        batch_size=1000,
    )


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


def measure(district_user, bureau_user, reviewer, repeat: int):
    """Every page and sort against the bare view, interleaved: {label: (queries, times)}."""
    targets = [("bare 50-row view (no database)", Client(), "/bare/")]
    district_client, bureau_client, reviewer_client = Client(), Client(), Client()
    district_client.force_login(district_user)
    bureau_client.force_login(bureau_user)
    reviewer_client.force_login(reviewer)
    targets.append((FLOOR, bureau_client, "/bare-logged-in/"))
    targets.append(("reviewer's list", reviewer_client, "/reviews/mine/"))
    for query in ("sort=-assigned_at", "sort=reference", "status=to_score", "q=第7777专家"):
        targets.append((f"reviewer's list ?{query}", reviewer_client, f"/reviews/mine/?{query}"))
    targets.append(("recommender queue", district_client, "/reviews/"))
    for query in (
        "sort=-submitted_at",
        "sort=name",
        "q=第7777专家",
        "state=returned",
        "state=published:municipal_team",  # matches nothing: must not read the whole call
    ):
        targets.append((f"recommender queue ?{query}", district_client, f"/reviews/?{query}"))
    targets.append(("bureau list", bureau_client, "/reviews/"))
    for query in (
        "sort=-score_mean",
        "sort=-score_spread",
        "sort=name",
        "sort=priority",
        "q=第7777专家",
        "priority=on",
        "paper=received",  # matches nothing
        "state=under_review",
        "category=national",
        "field=医疗",
    ):
        targets.append((f"bureau list ?{query}", bureau_client, f"/reviews/?{query}"))
    # 统计: every figure of the call; its target is against the bureau list, not the bare
    # view (it aggregates every item, where a list page reads 50).
    targets.append((STATISTICS, bureau_client, "/reviews/statistics/"))
    queries = {label: count_queries(client, url) for label, client, url in targets}
    times = interleaved_times(targets, repeat)
    return {label: (queries[label], times[label]) for label in queries}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes",
        default="",
        help="item counts to measure, growing (default 1000,10000; with PostgreSQL also 50000)",
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    default = "1000,10000,50000" if connection.vendor == "postgresql" else "1000,10000"
    sizes = sorted(int(x) for x in (args.sizes or default).split(","))

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
        call, district, units, district_user, bureau_user, reviewer = setup(sizes[-1])
        loaded, failures, summary = 0, 0, []
        for size in sizes:
            start = time.perf_counter()
            add_items(call, district, units, loaded, size - loaded, reviewer, bureau_user)
            loaded = size
            if connection.vendor == "postgresql":
                # As autovacuum leaves a table in use: statistics current, visibility map set
                # (so index-only scans need not visit the rows).
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE applications_application")
                    cursor.execute("VACUUM ANALYZE reviews_reviewassignment")
            print(
                f"\n{connection.vendor}, {size} items of one recommender "
                f"(loaded in {time.perf_counter() - start:.1f} s), {args.repeat} rounds"
            )
            results = measure(district_user, bureau_user, reviewer, args.repeat)
            bare_times = results["bare 50-row view (no database)"][1]
            bare, bare_min = statistics.median(bare_times), min(bare_times)
            worst = 0.0
            for label, (count, values) in results.items():
                median, fastest = statistics.median(values), min(values)
                ratio = median / bare
                if label not in (STATISTICS, FLOOR):
                    worst = max(worst, ratio)
                print(
                    f"  {label:<36} {count:>3} queries  median {median * 1000:7.2f} ms "
                    f"(min {fastest * 1000:7.2f})  {ratio:5.1f}x bare "
                    f"(min/min {fastest / bare_min:4.1f}x)"
                )
            list_queries = max(
                c for label, (c, _v) in results.items() if label not in (STATISTICS, FLOOR)
            )
            stats_ratio = statistics.median(results[STATISTICS][1]) / statistics.median(
                results["bureau list"][1]
            )
            ok_lists = worst <= 10 and list_queries <= 10
            ok_stats = stats_ratio <= 3 or size > STATISTICS_TARGET_SIZE
            failures += (not ok_lists) + (not ok_stats)
            summary.append((size, worst, list_queries, stats_ratio, ok_lists, ok_stats))
            summary_stats = statistics.median(results[STATISTICS][1]) * 1000
            print(f"  统计 page {summary_stats:.1f} ms = {stats_ratio:.2f}x the bureau list")
        print("\nsize     worst list/bare (<= 10x)  list queries (<= 10)  统计/bureau list (<= 3x)")
        for size, worst, list_queries, stats_ratio, ok_lists, ok_stats in summary:
            print(
                f"{size:<8} {worst:5.1f}x {'PASS' if ok_lists else 'FAIL':<18} "
                f"{list_queries:<21} {stats_ratio:5.2f}x "
                + (
                    ("PASS" if ok_stats else "FAIL")
                    if size <= STATISTICS_TARGET_SIZE
                    else "(no target past 10,000)"
                )
            )
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
