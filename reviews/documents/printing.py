"""Stamp-ready PDFs of 附件1 and 附件2, and the fingerprint that ties a scan to its version.

WeasyPrint renders the forms from HTML templates. One FontConfiguration serves the whole
process: a new one per render costs the font setup again and, over many renders, several
times the memory (SETUP-NOTES: 197 MB shared against 811 MB).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from shanghai_experts.items import ItemKind, fingerprint
from shanghai_experts.states import EDITABLE_STATES

from ..models import RenderedPdf, StampedScan

logger = logging.getLogger(__name__)

_fonts = None
_fonts_lock = threading.Lock()

#: The fingerprint as printed: 12 hexadecimal digits in groups of four.
FINGERPRINT_RE = re.compile(r"\b([0-9A-F]{4})-([0-9A-F]{4})-([0-9A-F]{4})\b")


def font_configuration():
    """The process's one FontConfiguration, made on first use."""
    global _fonts
    if _fonts is None:
        with _fonts_lock:
            if _fonts is None:
                _fonts = FontConfiguration()
    return _fonts


def render_html(html: str) -> bytes:
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        font_config=font_configuration()
    )


def form_html(item, **extra) -> str:
    """The print template of the item's form (附件1 or 附件2), filled in."""
    context = {"item": item, "fingerprint": fingerprint(item.snapshot()), **item.form_context()}
    return render_to_string(item.item_kind.print_template, {**context, **extra})


def blank_form_html(kind: ItemKind, call) -> str:
    """附件1 or 附件2 with every box empty (空白表样), from the same templates as the filled."""
    item = kind.model(call=call)
    context = {"item": item, "fingerprint": "空白表样", "blank": True, **item.form_context()}
    return render_to_string(kind.print_template, context)


def form_pdf(item) -> bytes:
    """The item's PDF: a submitted form is rendered once and then served from storage
    (RenderedPdf); a draft is rendered on demand."""
    html = form_html(item)
    if item.state in EDITABLE_STATES:
        return render_html(html)
    return stored_pdf(html)


def stored_pdf(html: str) -> bytes:
    """The PDF of `html`, rendered once and then read from storage (RenderedPdf, keyed by the
    SHA-256 of the HTML): the blank forms anyone may download cost a file read, not a render."""
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    stored = RenderedPdf.objects.filter(key=key).first()
    if stored is not None:
        try:
            with stored.file.open("rb") as fh:
                return fh.read()
        except FileNotFoundError:
            # The row outlived its file (a volume or bucket restored without it): rendered
            # again and stored again, rather than a server error.
            logger.warning("已保存的 PDF %s 缺少文件，重新生成", key[:12])
            RenderedPdf.objects.filter(pk=stored.pk).delete()
    pdf = render_html(html)
    try:
        with transaction.atomic():
            rendered = RenderedPdf(key=key, size=len(pdf))
            rendered.file.save(f"{key}.pdf", ContentFile(pdf), save=False)
            rendered.save()
    except IntegrityError:
        pass  # rendered at the same moment by another request: the same bytes are kept
    return pdf


#: Who issues a 立项通知 when no bureau organisation is recorded (a fresh database).
BUREAU_NAME = "上海市人力资源和社会保障局"


def project_notice_pdf(app, result, bureau_name: str = BUREAU_NAME) -> bytes:
    """The stamp-ready 立项通知 of a selected team: the decision and its date, the final
    category, the funding, the notice's service rules (累计服务时长不少于N天，每次应解决1-2个
    具体问题, the 服务次数 and period promised), the bureau's name and room for its seal.
    `result` is what the unit was told (reviews.engine.guidance.result_for), with `notice` set."""
    places = list(app.places.all())
    leaders = [e.name for e in app.experts.all() if e.is_leader]
    html = render_to_string(
        "pdf/project_notice.html",
        {
            "item": app,
            "call": app.call,
            "result": result,
            "places": places,
            "leaders": leaders,
            "bureau_name": bureau_name,
            "mohrss_number": getattr(app, "mohrss_document_number", ""),
        },
    )
    return render_html(html)


def project_notice_filename(app) -> str:
    return f"{app.reference}-立项通知-{app}.pdf".replace("/", "／")


def filename_for(item) -> str:
    return f"{item.reference}-{item.item_kind.form}-{item}.pdf".replace("/", "／")


def fingerprints_in_text(text: str) -> set[str]:
    return {"-".join(m.groups()) for m in FINGERPRINT_RE.finditer(text.upper())}


class _Pipe:
    """A write-only file for zipfile whose written bytes are taken as they come."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


#: A ZIP looks up its stored PDFs a chunk at a time: two queries per chunk, not per form.
ZIP_CHUNK = 50


def _stored_pdfs(items, each=None) -> list[bytes]:
    """The PDFs of `items`, served from storage where rendered before; the rest are rendered
    and stored with one INSERT. `each` is called after each form (a job's progress)."""
    pages = [form_html(item) for item in items]
    keys = [hashlib.sha256(html.encode("utf-8")).hexdigest() for html in pages]
    found = {r.key: r for r in RenderedPdf.objects.filter(key__in=set(keys))}
    out, new = [], {}
    for item, html, key in zip(items, pages, keys, strict=True):
        if each is not None:
            each()
        if key in found:
            with found[key].file.open("rb") as fh:
                out.append(fh.read())
            continue
        pdf = render_html(html)
        out.append(pdf)
        if item.state not in EDITABLE_STATES and key not in new:
            rendered = RenderedPdf(key=key, size=len(pdf))
            rendered.file.save(f"{key}.pdf", ContentFile(pdf), save=False)
            new[key] = rendered
    if new:
        RenderedPdf.objects.bulk_create(new.values(), ignore_conflicts=True)
    return out


def _latest_scans(items) -> dict[tuple[str, int, str], StampedScan]:
    """The latest scan of each kind for `items`: one query per kind of item in the chunk."""
    latest: dict[tuple[str, int, str], StampedScan] = {}
    by_model: dict[type, list[int]] = {}
    for item in items:
        by_model.setdefault(type(item), []).append(item.pk)
    for model, ids in by_model.items():
        scans = (
            StampedScan.objects.for_model(model)
            .filter(object_id__in=ids)
            .order_by("object_id", "kind", "-uploaded_at", "-id")
        )
        for scan in scans:
            latest.setdefault((model.item_kind.code, scan.object_id, scan.kind), scan)
    return latest


def scan_filename(item, scan: StampedScan) -> str:
    return f"{item.reference}-{scan.get_kind_display()}{scan.extension}".replace("/", "／")


def zip_stream(items, leading=(), progress=None):
    """A ZIP of the items' PDFs, each followed by the latest stamped scans its unit and its
    recommender uploaded (named by reference number), yielded piece by piece as each chunk of
    forms is ready. `leading` (name, bytes) pairs come first: a recommender's 推荐函.
    `progress(n)` is told how many forms are done, form by form."""
    pipe = _Pipe()
    names = set()
    chunk = []
    done = 0

    def one_more():
        nonlocal done
        if progress is not None:
            progress(done)
        done += 1

    def add(name, data):
        if name in names:  # two items of the same name and reference cannot happen,
            name = f"{len(names)}-{name}"  # but a ZIP must never hold one name twice
        names.add(name)
        archive.writestr(name, data)

    def flush():
        scans = _latest_scans(chunk)
        for item, pdf in zip(chunk, _stored_pdfs(chunk, one_more), strict=True):
            add(filename_for(item), pdf)
            for kind in (StampedScan.Kind.APPLICANT, StampedScan.Kind.RECOMMENDER):
                scan = scans.get((item.workflow_kind, item.pk, kind))
                if scan is not None:
                    with scan.file.open("rb") as fh:
                        add(scan_filename(item, scan), fh.read())
        chunk.clear()

    # PDFs are compressed already: storing them costs a tenth of deflating them again.
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in leading:
            add(name, data)
        for item in items:
            chunk.append(item)
            if len(chunk) >= ZIP_CHUNK:
                flush()
                yield pipe.take()
        if chunk:
            flush()
        yield pipe.take()
    yield pipe.take()
