"""The pages of the review engine, one module per concern."""

from .call_settings import extensions, quotas, review_deadline
from .decisions import (
    act,
    add_note,
    funding,
    national_order,
    publish,
    ranking,
    rectification_submit,
    score,
)
from .files import download_scan, item_pdf, upload_scan, zip_pdfs
from .filing import filing_page, item_paper, letter, paper_page
from .queue import export_list, queue_totals, queue_view, summary
from .security import audit_log, failing_mail, lockouts
from .statistics import statistics_page

__all__ = [
    "act",
    "add_note",
    "audit_log",
    "download_scan",
    "export_list",
    "extensions",
    "filing_page",
    "item_paper",
    "letter",
    "paper_page",
    "failing_mail",
    "funding",
    "item_pdf",
    "lockouts",
    "national_order",
    "publish",
    "queue_totals",
    "queue_view",
    "quotas",
    "review_deadline",
    "ranking",
    "rectification_submit",
    "score",
    "statistics_page",
    "summary",
    "upload_scan",
    "zip_pdfs",
]
