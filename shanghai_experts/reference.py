"""The participating bodies every installation needs: the bureau, the 16 district offices and
the commissions (shanghai_experts/data/shanghai_recommenders.csv, from ../shared/reference)."""

import csv
from pathlib import Path

from django.db import transaction

from .models import Organisation

RECOMMENDERS_CSV = Path(__file__).resolve().parent / "data" / "shanghai_recommenders.csv"


@transaction.atomic
def load_recommenders() -> tuple[dict[str, Organisation], int]:
    """Create the bodies that are missing, by full name; an existing one keeps everything an
    administrator set except its kind and short name. Returns ({short name: body}, created)."""
    bodies, created = {}, 0
    with RECOMMENDERS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            body, new = Organisation.objects.update_or_create(
                name=row["full_name"],
                defaults={"kind": row["kind"], "short_name": row["short_name"]},
            )
            bodies[row["short_name"]] = body
            created += new
    return bodies, created
