"""Benchmark: bulk onboarding of 1,000 units from an .xlsx (check, then confirm).

Prints, for 100 and for 1,000 rows, the time and the number of queries of each step: reading
and checking the upload, and creating the organisations, accounts, activation notices and
audit records. Targets: the check's queries are the same for both sizes, the confirmation's
grow only by bulk batches (at most one query per 10 rows more; on PostgreSQL a
batch is 500 rows, on SQLite its 999-parameter limit makes batches of 50 to 160 rows), and 1,000 rows take under
10 s in all. Each size runs `--repeat` times on fresh codes; min and median are reported.

    .venv/bin/python benchmarks/onboarding_bench.py [--rows 1000] [--repeat 3]

Uses a throw-away SQLite file unless DATABASE_URL is set (then a fresh test database on it).
"""

import argparse
import io
import statistics
import sys
import time

from common import fresh_database, make_organisations
from django.db import connection
from django.test.utils import CaptureQueriesContext


def workbook(district_name: str, n: int, start: int) -> io.BytesIO:
    from openpyxl import Workbook
    from stdnum.cn import uscc

    from accounts.onboarding import HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for i in range(start, start + n):
        body = f"91310000MB{i:07d}"
        ws.append(
            [
                f"基准导入单位{i}",
                body + uscc.calc_check_digit(body),
                district_name,
                f"联系人{i}",
                "13900000000",
                f"unit{i}@example.org",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "名单.xlsx"
    return out


def run_once(request, district, n: int, start: int) -> tuple[float, int, float, int]:
    from accounts import onboarding

    upload = workbook(district.name, n, start)
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as checked:
        batch = onboarding.check(request, upload)
    t1 = time.perf_counter()
    with CaptureQueriesContext(connection) as applied:
        created, _updated = onboarding.apply(request, batch)
    t2 = time.perf_counter()
    assert created == n, (created, n)
    return t1 - t0, len(checked), t2 - t1, len(applied)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from django.test import RequestFactory

    from shanghai_experts.models import Organisation, User

    fresh_database()
    (district,), _units = make_organisations(units=0, districts=1)
    bureau = Organisation.objects.create(kind="municipal", name="上海市人力资源和社会保障局")
    officer = User.objects.create(username="bench-bureau", organisation=bureau)
    request = RequestFactory().post("/accounts/onboarding/")
    request.user = officer

    sizes = (100, args.rows)
    results = {n: [] for n in sizes}
    start = 0
    for _round in range(args.repeat):
        for n in sizes:  # the two sizes alternate, so neither runs on a warmer machine
            results[n].append(run_once(request, district, n, start))
            start += n

    print(f"Bulk onboarding on {connection.vendor}, {args.repeat} runs per size")
    print(
        f"{'rows':>6} {'check min/median s':>20} {'queries':>8} {'save min/median s':>20} {'queries':>8}"
    )
    for n in sizes:
        check_s = [r[0] for r in results[n]]
        save_s = [r[2] for r in results[n]]
        print(
            f"{n:>6} {min(check_s):>9.2f} / {statistics.median(check_s):<8.2f}"
            f" {results[n][0][1]:>8} {min(save_s):>9.2f} / {statistics.median(save_s):<8.2f}"
            f" {results[n][0][3]:>8}"
        )
    small, large = results[100][0], results[args.rows][0]
    check_flat = small[1] == large[1]
    save_bounded = large[3] - small[3] <= (args.rows - 100) / 10
    total = min(r[0] + r[2] for r in results[args.rows])
    fast = total < 10
    print(f"check queries constant in rows: {'PASS' if check_flat else 'FAIL'}")
    print(
        f"save queries grow by batches only (+{large[3] - small[3]} for +{args.rows - 100} rows): "
        f"{'PASS' if save_bounded else 'FAIL'}"
    )
    print(f"{args.rows} rows in {total:.2f} s (target < 10 s): {'PASS' if fast else 'FAIL'}")
    sys.exit(0 if check_flat and save_bounded and fast else 1)


if __name__ == "__main__":
    main()
