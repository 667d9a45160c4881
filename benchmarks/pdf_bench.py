"""Benchmark: 100 stamp-ready PDFs of 附件1 through the project's code path.

Prints the time per PDF of printing.form_pdf (queries, template, WeasyPrint with the
process's shared FontConfiguration) beside WeasyPrint's time for the same HTML alone, their
ratio (target: at most 1.3x), and the process's resident memory after 1, 10, 50 and 100
renders, which must stay flat.

Then every form is stored (`--zip-count`, default 300) and a stored download and the ZIP of
them all are timed (targets: ≤ 0.1x a fresh render; 300 forms in under 2 s).

    .venv/bin/python benchmarks/pdf_bench.py [--count 100] [--zip-count 300]

Uses a throw-away SQLite file unless DATABASE_URL is set (then a fresh test database on it).
"""

import argparse
import os
import statistics
import time

from common import ROOT, fresh_database, make_call, make_organisations
from django.db import connection


def resident_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def populate(count: int):
    """`count` complete applications, each with a two-page form (long texts, a roster)."""
    import datetime
    from decimal import Decimal

    from applications.models import (
        Application,
        BudgetItem,
        Expert,
        FundingSource,
        ServicePlace,
    )

    fresh_database()
    call = make_call()
    (district,), units = make_organisations(units=count, districts=1)
    apps = []
    for i, unit in enumerate(units):
        app = Application.objects.create(
            call=call,
            unit=unit,
            recommender=district,
            name=f"第{i}内分泌专家服务团",
            category="national",
            relies_on_base=False,
            expert_count=6,
            service_count=4,
            service_days=Decimal("8"),
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 10, 31),
            service_field="医疗卫生",
            department="科教处",
            contact_name="张华",
            office_phone="021-64370045",
            mobile="13812345678",
            email="zhanghua@example.org",
            cross_key=True,
            cross_key_counties="云南省文山州广南县",
            service_forms=["guidance", "training"],
            service_content="赴云南广南县开展糖尿病诊疗技术指导，组织专题讲座与带教查房。" * 20,
            budget_total=Decimal("25"),
            requested_amount=Decimal("20"),
            summary="糖尿病诊疗技术指导与基层医生培训。",
            service_goal="培训基层医生50名，解决基层糖尿病规范化诊疗的2个具体问题。" * 4,
            professional_field="内分泌与代谢病",
            applicant_opinion="同意申报。",
        )
        ServicePlace.objects.create(
            application=app, province="云南省", city="文山壮族苗族自治州", county="广南县"
        )
        for j in range(6):
            Expert.objects.create(
                application=app,
                name=f"专家{j}",
                work_unit=unit.name,
                affiliation="own",
                title="主任医师",
                title_level="senior",
                talents=["special_allowance"],
                specialty="内分泌",
                mobile="13900000001",
                is_leader=j == 0,
                position=j,
            )
        BudgetItem.objects.create(application=app, item="专家差旅", amount=Decimal("25"))
        FundingSource.objects.create(application=app, source="申请资助", amount=Decimal("20"))
        FundingSource.objects.create(
            application=app, source="单位自筹", amount=Decimal("5"), position=1
        )
        apps.append(app.pk)
    return apps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--zip-count", type=int, default=300, help="forms in the stored ZIP")
    args = parser.parse_args()

    from weasyprint import HTML

    from applications.models import Application
    from reviews.documents import printing

    every = populate(max(args.count, args.zip_count))
    pks = every[: args.count]
    print(f"database: {connection.vendor}; {len(every)} applications")

    def load(pk):
        return Application.objects.select_related("call", "unit", "recommender").get(pk=pk)

    start = time.perf_counter()
    printing.form_pdf(load(pks[0]))  # a process's first render loads the fonts
    first_ms = (time.perf_counter() - start) * 1000
    alone, ours, memory = [], [], {}

    def time_alone(pk):
        html = printing.form_html(load(pk))
        start = time.perf_counter()
        HTML(string=html, base_url=str(ROOT)).write_pdf(font_config=printing.font_configuration())
        alone.append(time.perf_counter() - start)

    def time_ours(pk):
        start = time.perf_counter()
        printing.form_pdf(load(pk))
        ours.append(time.perf_counter() - start)

    for index, pk in enumerate(pks, start=1):
        # The two sides take turns going first, so neither profits from a warmer cache.
        for measure in (time_alone, time_ours) if index % 2 else (time_ours, time_alone):
            measure(pk)
        if index in (1, 10, 50, args.count):
            memory[index] = resident_mib()
    ours_ms, alone_ms = statistics.median(ours) * 1000, statistics.median(alone) * 1000
    ratio = ours_ms / alone_ms
    print(f"first render of the process (loads the fonts): {first_ms:.0f} ms")
    print(
        f"WeasyPrint alone, same HTML:           {alone_ms:.0f} ms per PDF (min {min(alone) * 1000:.0f})"
    )
    print(
        f"project code path (query, template, PDF): {ours_ms:.0f} ms per PDF (min {min(ours) * 1000:.0f})"
    )
    print(
        f"ratio: {ratio:.2f}x median, {min(ours) / min(alone):.2f}x min/min "
        f"(target <= 1.3x) {'PASS' if ratio <= 1.3 else 'FAIL'}"
    )
    print(
        "resident memory after "
        + ", ".join(f"{n} PDFs: {mib:.0f} MiB" for n, mib in memory.items())
    )
    stored = stored_path(every[: args.zip_count], load, ours_ms)
    return stored if ratio <= 1.3 else 1


def stored_path(pks, load, fresh_ms) -> int:
    """Submitted forms are rendered once and then served from storage: a download and a ZIP
    of every form, after one pass has stored them."""
    from applications.models import Application
    from reviews.documents import printing
    from shanghai_experts.states import State

    Application.objects.filter(pk__in=pks).update(state=State.SUBMITTED)
    # Loaded as the ZIP view loads them: the rows of every form in four queries.
    items = list(
        Application.objects.filter(pk__in=pks)
        .select_related("call", "unit", "recommender")
        .prefetch_related("experts", "places", "budget_items", "funding_sources")
        .order_by("id")
    )
    for item in items:
        printing.form_pdf(item)  # renders and stores
    served = []
    for item in items:
        start = time.perf_counter()
        printing.form_pdf(item)
        served.append(time.perf_counter() - start)
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in printing.zip_stream(items))
    zip_s = time.perf_counter() - start
    served_ms = statistics.median(served) * 1000
    ratio = served_ms / fresh_ms
    zip_target = 2.0 * len(items) / 300
    print(
        f"stored PDF download: {served_ms:.1f} ms (min {min(served) * 1000:.1f}) = "
        f"{ratio:.3f}x a fresh render (target <= 0.1x) {'PASS' if ratio <= 0.1 else 'FAIL'}"
    )
    print(
        f"ZIP of {len(items)} stored forms: {zip_s:.2f} s, {size / 2**20:.1f} MiB "
        f"(target < {zip_target:.2f} s, 2 s for 300) {'PASS' if zip_s < zip_target else 'FAIL'}"
    )
    return 0 if ratio <= 0.1 and zip_s < zip_target else 1


if __name__ == "__main__":
    raise SystemExit(main())
