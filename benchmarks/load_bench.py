"""Deadline-day load test: the production server on loopback, against PostgreSQL.

Builds a fresh database (a few thousand submitted items, 300 units each with a draft to save
and submit, 16 district offices), starts gunicorn in production mode (DEBUG off, WhiteNoise,
the project's gunicorn.conf.py), then drives it from this second process with rising numbers
of concurrent users. Each virtual user logs in and repeats the deadline-day mix of its role, waiting 1–4 s between
clicks as a person reading the page does (--think 0,0 sends them back to back):

    unit:        home page → open its draft → save the draft → … → submit it once
    recommender: home page → its queue → the next queue page → one item

and the script prints, per concurrency level: requests per second, p50/p95/p99 latency and
the error count (any status other than the expected one, or a failed connection).
Target on a 2-core machine: at 50 concurrent users, no errors and p95 under 1 s.

    .venv/bin/python benchmarks/load_bench.py [--levels 10,25,50] [--seconds 20]

Needs PostgreSQL on 127.0.0.1:5432 (`make load-bench` starts it).
"""

import argparse
import html.parser
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "shanghai_experts_load"
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
PORT = int(os.environ.get("LOAD_PORT", "8123"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "Load#2026test"
UNITS = 300
SUBMITTED = 4000


# --- the database ---------------------------------------------------------------------------


def prepare_database():
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DEBUG": "1"}
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    script = f"""
import datetime
from decimal import Decimal
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from stdnum.cn import uscc
from applications.models import Application, BudgetItem, Expert, FundingSource, ServicePlace
from shanghai_experts.states import State
from shanghai_experts.models import Call, Organisation, User

call = Call.objects.create(
    year=2026, document_number="沪人社专〔2026〕14号", title="负载测试",
    opens_on=datetime.date(2026, 1, 19),
    unit_deadline=timezone.now() + datetime.timedelta(days=10),
    recommender_deadline=timezone.now() + datetime.timedelta(days=20),
    applications_per_unit=100,
)
districts = [Organisation.objects.create(kind="district", name=f"第{{i}}区人社局") for i in range(16)]
units = []
for i in range({UNITS}):
    body = f"91310000MA{{i:07d}}"
    units.append(Organisation(kind="unit", name=f"上海市第{{i}}单位", short_name=f"第{{i}}单位",
        uscc=body + uscc.calc_check_digit(body), district=districts[i % 16]))
Organisation.objects.bulk_create(units)
units = list(Organisation.objects.filter(kind="unit").order_by("id"))
hashed = make_password("{PASSWORD}")
users = [User(username=f"unit{{i}}", password=hashed, organisation=u) for i, u in enumerate(units)]
users += [User(username=f"district{{i}}", password=hashed, organisation=d) for i, d in enumerate(districts)]
User.objects.bulk_create(users)
now = timezone.now()
complete = dict(
    category="national", relies_on_base=False, expert_count=1, service_count=3,
    service_days=Decimal("6"), start_date=datetime.date(2026, 3, 1),
    end_date=datetime.date(2026, 10, 31), service_field="医疗卫生", department="科教处",
    contact_name="张华", office_phone="021-64370045", mobile="13812345678",
    email="zh@example.org", service_forms=["guidance"],
    service_content="赴云南广南县开展糖尿病诊疗技术指导。", budget_total=Decimal("20"),
    requested_amount=Decimal("20"), summary="技术指导与培训。",
    service_goal="培训基层医生50名，解决2个具体问题。", professional_field="内分泌",
    applicant_opinion="同意申报。",
)
Application.objects.bulk_create([
    Application(call=call, unit=units[i % {UNITS}], recommender=units[i % {UNITS}].district,
                state=State.SUBMITTED, submitted_at=now, name=f"第{{i}}专家服务团", **complete)
    for i in range({SUBMITTED})
], batch_size=1000)
drafts = Application.objects.bulk_create([
    Application(call=call, unit=u, recommender=u.district, name=f"{{u.short_name}}服务团", **complete)
    for u in units
])
drafts = list(Application.objects.filter(state=State.DRAFT).order_by("id"))
ServicePlace.objects.bulk_create([ServicePlace(application=a, province="云南省",
    city="文山壮族苗族自治州", county="广南县", is_key_county=True) for a in drafts])
Expert.objects.bulk_create([Expert(application=a, name="宁光", work_unit=a.unit.name,
    affiliation="own", title="主任医师", title_level="senior", talents=[], specialty="内分泌",
    mobile="13900000001", is_leader=True) for a in drafts])
BudgetItem.objects.bulk_create([BudgetItem(application=a, item="差旅", amount=Decimal("20")) for a in drafts])
FundingSource.objects.bulk_create([FundingSource(application=a, source="申请资助", amount=Decimal("20")) for a in drafts])
print(Application.objects.count(), "items")
"""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # Statistics, as autovacuum would have them on a database that has been running.
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", "ANALYZE", DB_NAME], check=True
    )
    return out.stdout.strip().splitlines()[-1]


def start_server():
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "PRIVATE_MEDIA_ROOT": str(ROOT / "var" / "load-private"),
        "STATIC_ROOT": str(ROOT / "var" / "load-static"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shanghai_experts.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(60):
        try:
            requests.get(f"{BASE}/login/", timeout=2)
            return server
        except requests.ConnectionError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


# --- the virtual users ----------------------------------------------------------------------


class FormReader(html.parser.HTMLParser):
    """The fields of the page's form with the given id, as a browser would send them."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                default = "on" if kind in ("checkbox", "radio") else ""  # as a browser sends
                self.fields.append((a["name"], a.get("value", default)))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]
        elif tag == "select":
            self._select = [a.get("name"), None]
        elif (
            tag == "option"
            and self._select is not None
            and ("selected" in a or self._select[1] is None)
        ):
            self._select[1] = a.get("value", "")  # the selected option, else the first one

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.fields.append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.append(tuple(self._select))
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_fields(page: str, form_id: str) -> list[tuple[str, str]]:
    reader = FormReader(form_id)
    reader.feed(page)
    return reader.fields


def csrf(page: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.errors, self.kinds = [], 0, {}
        self.by_label: dict[str, list[float]] = {}

    def record(self, label, seconds, ok):
        with self.lock:
            self.latencies.append(seconds)
            self.by_label.setdefault(label, []).append(seconds)
            if not ok:
                self.errors += 1
                self.kinds[label] = self.kinds.get(label, 0) + 1


THINK = (1.0, 4.0)  # seconds a person spends on a page before the next click


def think(stop):
    if THINK[1] > 0:
        stop.wait(random.uniform(*THINK))


def timed(stats, label, call, expect=200):
    start = time.perf_counter()
    try:
        response = call()
        ok = response.status_code == expect
    except requests.RequestException:
        response, ok = None, False
    stats.record(label, time.perf_counter() - start, ok)
    return response


def log_in(session, stats, username):
    page = timed(stats, "login page", lambda: session.get(f"{BASE}/login/"))
    if page is None:
        return False
    response = timed(
        stats,
        "log in",
        lambda: session.post(
            f"{BASE}/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf(page.text)},
            allow_redirects=False,
        ),
        expect=302,
    )
    return response is not None and response.status_code == 302


def unit_user(index, stats, stop):
    session = requests.Session()
    if not log_in(session, stats, f"unit{index}"):
        return
    think(stop)
    home = timed(stats, "home", lambda: session.get(f"{BASE}/"))
    if home is None:
        return
    edit_url = None
    for line in home.text.split('href="')[1:]:
        link = line.split('"')[0]
        if link.endswith("/edit/") and link.startswith("/applications/"):
            edit_url = BASE + link
            break
    rounds = 0
    while not stop.is_set() and edit_url:
        think(stop)
        page = timed(stats, "open draft", lambda: session.get(edit_url))
        if page is None or 'id="application-form"' not in page.text:
            break  # submitted already
        data = form_fields(page.text, "application-form")
        data = [(k, v) for k, v in data if k != "action"]
        rounds += 1
        action = "submit" if rounds >= 4 else "save"
        think(stop)
        saved = timed(
            stats,
            action,
            lambda data=data, action=action: session.post(
                edit_url, [*data, ("action", action)], allow_redirects=False
            ),
            expect=302,
        )
        if action == "submit" and saved is not None and saved.status_code == 302:
            confirm_submission(session, stats, stop, BASE + saved.headers["Location"])
        think(stop)
        timed(stats, "home", lambda: session.get(f"{BASE}/"))
        if action == "submit":
            break


def confirm_submission(session, stats, stop, url):
    """提交申报's confirmation page: read the preview, tick the 信用承诺, confirm."""
    page = timed(stats, "confirm page", lambda: session.get(url))
    if page is None:
        return
    data = [*form_fields(page.text, "submit-confirm"), ("pledge", "on")]
    think(stop)
    timed(
        stats,
        "confirm submit",
        lambda: session.post(url, data, allow_redirects=False),
        expect=302,
    )


def recommender_user(index, stats, stop):
    session = requests.Session()
    if not log_in(session, stats, f"district{index % 16}"):
        return
    while not stop.is_set():
        think(stop)
        timed(stats, "home", lambda: session.get(f"{BASE}/"))
        think(stop)
        queue = timed(stats, "queue", lambda: session.get(f"{BASE}/reviews/"))
        think(stop)
        timed(stats, "queue page 2", lambda: session.get(f"{BASE}/reviews/?page=2"))
        if queue is not None:
            links = [
                part.split('"')[0]
                for part in queue.text.split('href="/applications/')[1:]
                if part.split('"')[0].rstrip("/").isdigit()
            ]
            if links:
                think(stop)
                pick = random.choice(links)
                timed(stats, "item", lambda pick=pick: session.get(f"{BASE}/applications/{pick}"))


def run_level(users: int, seconds: float, next_unit: list[int]):
    stats, stop = Stats(), threading.Event()
    threads = []
    started = time.perf_counter()

    def worker(slot):
        # Four in five users are units on deadline day; each unit submits once, then a
        # new unit takes the seat, until the time is up. Users arrive over the first few
        # seconds, not all in the same instant.
        stop.wait(random.uniform(0, THINK[1]))
        while not stop.is_set():
            if slot % 5 == 4:
                recommender_user(slot, stats, stop)
            else:
                with lock:
                    index = next_unit[0] % UNITS
                    next_unit[0] += 1
                unit_user(index, stats, stop)

    lock = threading.Lock()
    for slot in range(users):
        thread = threading.Thread(target=worker, args=(slot,), daemon=True)
        thread.start()
        threads.append(thread)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.perf_counter() - started
    return stats, elapsed


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="10,25,50")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--detail", action="store_true", help="latency per kind of request")
    parser.add_argument(
        "--think",
        default="1,4",
        help="seconds between a user's clicks, min,max (0,0: back to back, to find saturation)",
    )
    args = parser.parse_args()
    global THINK
    THINK = tuple(float(x) for x in args.think.split(","))
    print("building the database …", flush=True)
    print(f"database: PostgreSQL, {prepare_database()}, {UNITS} unit and 16 district logins")
    server = start_server()
    print(f"gunicorn (production settings) on {BASE}; think time {THINK[0]:g}–{THINK[1]:g} s")
    for _ in range(30):  # every worker loads its code and templates before the clock starts
        requests.get(f"{BASE}/login/", timeout=10)
    next_unit = [0]
    try:
        print(f"{'users':>5} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'requests':>9} errors")
        for users in (int(x) for x in args.levels.split(",")):
            stats, elapsed = run_level(users, args.seconds, next_unit)
            lat = stats.latencies
            print(
                f"{users:>5} {len(lat) / elapsed:>7.1f} "
                f"{statistics.median(lat) * 1000:>5.0f}ms "
                f"{percentile(lat, 0.95) * 1000:>5.0f}ms "
                f"{percentile(lat, 0.99) * 1000:>5.0f}ms "
                f"{len(lat):>9} {stats.errors}" + (f" {stats.kinds}" if stats.errors else ""),
                flush=True,
            )
            if args.detail:
                for label, values in sorted(stats.by_label.items()):
                    print(
                        f"      {label:<14} n={len(values):<5} "
                        f"p50 {statistics.median(values) * 1000:.0f}ms "
                        f"p95 {percentile(values, 0.95) * 1000:.0f}ms"
                    )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
