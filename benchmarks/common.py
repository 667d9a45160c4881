"""What the benchmark scripts share: Django on a throw-away database, a call, organisations.

Import it before anything from Django: it sets the environment up and calls django.setup().
"""

import datetime
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanghai_experts.settings")
os.environ.setdefault("DEBUG", "1")  # development settings; scripts turn DEBUG off where it matters

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402


def fresh_database():
    """Migrate the throw-away SQLite file, or a new test database on DATABASE_URL's server."""
    from django.core.management import call_command

    if connection.vendor != "sqlite":
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("migrate", verbosity=0)


def make_call(**fields):
    from django.utils import timezone

    from shanghai_experts.models import Call

    return Call.objects.create(
        **{
            "year": 2026,
            "document_number": "沪人社专〔2026〕14号",
            "title": "基准",
            "opens_on": datetime.date(2026, 1, 19),
            "unit_deadline": timezone.now() + datetime.timedelta(days=10),
            "recommender_deadline": timezone.now() + datetime.timedelta(days=20),
            **fields,
        }
    )


def make_organisations(units: int = 200, districts: int = 16):
    """`districts` district offices and `units` applicant units spread over them."""
    from stdnum.cn import uscc

    from shanghai_experts.models import Organisation

    offices = [
        Organisation.objects.create(kind="district", name=f"第{i}区人社局", short_name=f"第{i}区")
        for i in range(districts)
    ]
    Organisation.objects.bulk_create(
        Organisation(
            kind="unit",
            name=f"上海市第{i}单位",
            uscc=f"91310000MA{i:07d}" + uscc.calc_check_digit(f"91310000MA{i:07d}"),
            district=offices[i % districts],
        )
        for i in range(units)
    )
    return offices, list(Organisation.objects.filter(kind="unit").order_by("id"))
