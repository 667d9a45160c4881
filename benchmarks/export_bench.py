"""Benchmark: the 附件3 一览表 export with 10,000 items.

Prints the time of the bureau's download through the view (and of the export function, and
of the project's writer from memory) beside the time openpyxl's write-only mode needs to
write the same cells alone (the same values, formats and sheet settings, from a list in
memory). The sides take turns going first over `--repeat` rounds; the ratio of the minima must
stay at most 1.3x, or the script exits non-zero. It also prints the queries of the export and
of the view, and the export's peak Python memory at three row counts (flat in the rows); then,
with the call grown to the largest of `--rss-items`, how far each size's export raises a fresh
process's resident memory: growth from the smallest to the largest must stay within 32 MiB.

    .venv/bin/python benchmarks/export_bench.py [--items 10000] [--repeat 5]
        [--rss-items 1000,10000,50000]

Uses a throw-away SQLite file unless DATABASE_URL is set (then a fresh test database on it).
"""

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

from common import fresh_database, make_call, make_organisations
from django.db import connection
from django.test.utils import CaptureQueriesContext

#: How much more resident memory the largest export may take than the smallest.
RSS_ALLOWANCE = 32 * 2**20


#: The last rank given in each district (add_items continues where it stopped).
RANKS: dict[int, int] = {}


def populate(n: int):
    fresh_database()
    call = make_call(applications_per_unit=n)
    _districts, units = make_organisations()
    add_items(call, units, 0, n)
    return call, units


def add_items(call, units, start: int, count: int) -> None:
    """Items start … start+count−1, recommended, with 2 experts and 1 place each."""
    from decimal import Decimal

    from django.utils import timezone

    from applications.models import Application, Expert, ServicePlace
    from shanghai_experts.states import State

    now = timezone.now()

    def next_rank(unit):  # each district ranks its items 1, 2, 3, … in the order they come
        RANKS[unit.district_id] = RANKS.get(unit.district_id, 0) + 1
        return RANKS[unit.district_id]

    for offset in range(start, start + count, 5000):
        batch = range(offset, min(offset + 5000, start + count))
        apps = Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    unit=units[i % len(units)],
                    recommender=units[i % len(units)].district,
                    state=State.RECOMMENDED,
                    recommender_rank=next_rank(units[i % len(units)]),
                    name=f"第{i}专家服务团",
                    category="national" if i % 2 else "municipal",
                    service_field="医疗卫生",
                    service_count=3,
                    summary="赴云南省广南县开展糖尿病诊疗技术指导与基层医生培训。" * 3,
                    service_goal="培训基层医生50名，解决基层糖尿病规范化诊疗的2个具体问题。",
                    professional_field="内分泌与代谢病",
                    contact_name="张华",
                    office_phone="021-64370045",
                    mobile="13812345678",
                    cross_key_counties="云南省文山州广南县" if i % 3 == 0 else "",
                    budget_total=Decimal("10"),
                    submitted_at=now,
                )
                for i in batch
            ],
            batch_size=1000,
        )
        if connection.vendor == "sqlite":  # bulk_create gives no ids back on older SQLite
            apps = list(Application.objects.filter(call=call).order_by("id")[offset:])
        Expert.objects.bulk_create(
            [
                Expert(
                    application=app,
                    name=f"专家{j}",
                    work_unit="上海市某医院",
                    affiliation="own" if j == 0 else "external",
                    title="主任医师",
                    title_level="senior",
                    talents=["special_allowance"] if j == 0 else [],
                    specialty="内分泌",
                    mobile="13900000001",
                    is_leader=j == 0,
                    position=j,
                )
                for app in apps
                for j in range(2)
            ],
            batch_size=2000,
        )
        ServicePlace.objects.bulk_create(
            [
                ServicePlace(
                    application=app,
                    province="云南省",
                    city="文山壮族苗族自治州",
                    county="广南县",
                    is_key_county=True,
                )
                for app in apps
            ],
            batch_size=2000,
        )


def baseline(call, rows, target):
    """openpyxl's write-only mode writing the same cells, formats and settings, alone."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    from reviews.documents.exports import HEADERS, NOTES, WIDTHS, title_for

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=f"{call.year}年一览表")
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name="宋体", size=10)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    def cell(value, bold=False):
        c = WriteOnlyCell(ws, value=value)
        c.font, c.alignment, c.border = font, wrap, box
        return c

    template = cell("x")
    ws.append([cell(title_for(call), bold=True)])
    ws.merged_cells.add("A1:L1")
    ws.append([cell(h, bold=True) for h in HEADERS])
    for row in rows:
        out = []
        for value in row:
            c = WriteOnlyCell(ws, value=value)
            c._style = template._style
            out.append(c)
        ws.append(out)
    for note in NOTES:
        ws.append([cell(note)])
    wb.save(target)


def run_export(call):
    from applications.models import Application
    from reviews.documents import exports

    handle, count = exports.export(call, Application.objects.filter(call=call), None)
    handle.close()
    return count


def peak_memory(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def view_client(call):
    """A logged-in bureau user's client, to measure the export as the bureau downloads it."""
    from django.test import Client

    from shanghai_experts.models import Organisation, User

    bureau = Organisation.objects.create(kind="municipal", name="上海市人力资源和社会保障局")
    user = User.objects.create(username="bench-bureau", organisation=bureau)
    client = Client()
    client.force_login(user)
    return client


def run_view(client, items):
    """The bureau's button: without a broker the job runs within the request (as on the
    embedded default), then its file is downloaded."""
    response = client.get("/reviews/export.xlsx")
    assert response.status_code == 302, response.status_code
    job = response["Location"].split("?")[0]
    response = client.get(f"{job}download/")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    assert size > items * 50, size  # the file really holds the rows
    return size


def rss_now() -> int:
    """This process's resident memory now, in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """The kernel's high-water mark of this process's resident memory, in bytes."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def rss_child(n: int) -> None:
    """In a process of its own (the high-water mark never falls): export the first `n` items
    and print how far the resident memory rose above where it stood before."""
    from applications.models import Application
    from reviews.documents import exports

    call = Application.objects.order_by("id").first().call

    def export_first(count):
        first = Application.objects.filter(call=call).order_by("id").values("pk")[:count]
        exports.export(call, Application.objects.filter(pk__in=first), None)[0].close()

    export_first(10)  # modules and openpyxl loaded, as in a worker that has served one
    gc.collect()
    before = rss_now()
    # Reset the kernel's high-water mark (VmHWM) to what is resident now.
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    export_first(n)
    print(max(0, peak_rss() - before))


def rss_growth(sizes) -> dict[int, int]:
    """{rows: bytes} the export's resident memory grows by, each size in a fresh process on
    this database."""
    env = {**os.environ, "BENCH_DATABASE_NAME": str(connection.settings_dict["NAME"])}
    growth = {}
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(n)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        growth[n] = int(out.stdout.split()[-1])
    return growth


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--rss-items", default="1000,10000,50000", help="row counts for the RSS growth"
    )
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        connection.settings_dict["NAME"] = os.environ["BENCH_DATABASE_NAME"]
        rss_child(args.rss_child)
        return 0

    from django.test.utils import override_settings

    from applications.models import Application
    from reviews.documents import exports

    start = time.perf_counter()
    call, units = populate(args.items)
    print(
        f"database: {connection.vendor}; {args.items} items "
        f"(2 experts, 1 place each) loaded in {time.perf_counter() - start:.1f} s"
    )
    rows = list(exports.table_rows(call, Application.objects.filter(call=call), None))
    # The bureau's second login step is not what is measured: the session counts as past it.
    with override_settings(REQUIRE_2FA_ROLES=[]):
        client = view_client(call)
    ours, alone, writer, view = [], [], [], []

    def time_alone():
        with tempfile.TemporaryFile() as fh:
            t = time.perf_counter()
            baseline(call, rows, fh)
            alone.append(time.perf_counter() - t)

    def time_writer():
        with tempfile.TemporaryFile() as fh:
            t = time.perf_counter()
            exports.write_workbook(call, rows, fh)
            writer.append(time.perf_counter() - t)

    def time_export():
        t = time.perf_counter()
        assert run_export(call) == args.items
        ours.append(time.perf_counter() - t)

    def time_view():
        t = time.perf_counter()
        run_view(client, args.items)
        view.append(time.perf_counter() - t)

    sides = [time_alone, time_writer, time_export, time_view]
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for round_ in range(args.repeat):
            # Each round starts with another side, so no side always runs on a warm cache.
            shift = round_ % len(sides)
            for measure in sides[shift:] + sides[:shift]:
                measure()
        with CaptureQueriesContext(connection) as view_queries:
            run_view(client, args.items)
    with CaptureQueriesContext(connection) as queries:
        run_export(call)

    def line(label, values):
        print(f"{label:<48} median {statistics.median(values):.2f} s, min {min(values):.2f} s")

    line("openpyxl write-only, same cells from memory:", alone)
    line("the project's writer, same cells from memory:", writer)
    line("project export, database to .xlsx:", ours)
    line("the bureau's download through the view:", view)
    ratio_min = min(view) / min(alone)
    ratio_median = statistics.median(view) / statistics.median(alone)
    verdict = "PASS" if ratio_min <= 1.3 else "FAIL"
    print(
        f"view / openpyxl alone: {ratio_min:.2f}x min/min, {ratio_median:.2f}x median "
        f"(target <= 1.3x) {verdict}"
    )
    print(f"export / writer alone (queries and cell texts): {min(ours) / min(writer):.2f}x")
    print(
        f"queries for {args.items} items: {len(queries)} in the export, "
        f"{len(view_queries)} through the view"
    )

    # Rows stream in chunks of 2,000 (with their experts and places): past a few chunks the
    # peak must stay where it is, whatever the row count.
    for n in (args.items // 4, args.items // 2, args.items):
        first = Application.objects.filter(call=call).order_by("id").values("pk")[:n]
        some = Application.objects.filter(pk__in=first)
        peak = peak_memory(lambda some=some: exports.export(call, some, None)[0].close())
        print(f"peak Python memory for {n:>6} items: {peak / 2**20:.1f} MiB")

    # Resident memory, which also counts what C libraries and freed-but-kept pages hold:
    # more items loaded, then each size exported in a process of its own.
    sizes = sorted(int(x) for x in args.rss_items.split(","))
    if sizes[-1] > args.items:
        start = time.perf_counter()
        add_items(call, units, args.items, sizes[-1] - args.items)
        print(f"{sizes[-1] - args.items} more items loaded in {time.perf_counter() - start:.1f} s")
    growth = rss_growth(sizes)
    for n in sizes:
        print(f"resident memory growth for {n:>6} items: {growth[n] / 2**20:.1f} MiB")
    # Flat: past the first chunks, 50 times the rows may not need much more memory.
    rss_ok = growth[sizes[-1]] <= growth[sizes[0]] + RSS_ALLOWANCE
    print(
        f"RSS growth {sizes[0]} -> {sizes[-1]} items: "
        f"{(growth[sizes[-1]] - growth[sizes[0]]) / 2**20:+.1f} MiB "
        f"(target <= {RSS_ALLOWANCE / 2**20:.0f} MiB) {'PASS' if rss_ok else 'FAIL'}"
    )
    return 0 if verdict == "PASS" and rss_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
