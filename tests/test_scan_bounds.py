"""What one scan upload may cost: the version cap under concurrency, and PDFs and images that
are small on disk but huge once inflated or decoded. Each case asserts what the uploader reads
and a bound on the time (or memory) the refusal took."""

import io
import os
import struct
import threading
import time
import zlib

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from PIL import Image

from reviews.documents import printing
from reviews.engine import workflow
from reviews.models import StampedScan
from shanghai_experts import filecheck

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory
from .test_scans import png


@pytest.fixture
def app(call):
    unit = UnitFactory()
    return workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit),
        "submit",
        user=UserFactory(organisation=unit),
    )


@pytest.fixture
def unit_client(client, app):
    client.force_login(UserFactory(organisation=app.unit))
    return client


CAP_REFUSAL = "每份材料最多保留 10 个扫描件版本，已达上限"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="16 uploads at once need a database that takes writes side by side (PostgreSQL, as CI)",
)
def test_sixteen_uploads_at_once_keep_at_most_the_cap(call, settings):
    settings.SCAN_MAX_VERSIONS = 10
    unit = UnitFactory()
    user = UserFactory(organisation=unit)
    app = workflow.transition(CompleteApplicationFactory(call=call, unit=unit), "submit", user=user)
    url = reverse("reviews:upload_scan", args=[app.pk])
    content = png()
    barrier = threading.Barrier(16)
    pages = []

    def upload(n):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            response = client.post(
                url, {"file": SimpleUploadedFile(f"scan{n}.png", content)}, follow=True
            )
            pages.append(response.content.decode())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pages) == 16
    assert StampedScan.objects.filter(object_id=app.pk).count() == 10
    assert sum("已上传" in page for page in pages) == 10
    assert sum(CAP_REFUSAL in page for page in pages) == 6


# --- files that are small on disk and huge inside ---------------------------------------------


def zlib_of_zeros(size: int) -> bytes:
    """A valid zlib stream that inflates to `size` zero bytes, built without ever holding
    them: one deflate block of 1 MiB of zeros (state reset after it) repeated, then the tail.
    1 GiB takes about 1 MB."""
    step = 1 << 20
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(bytes(step)) + deflate.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(size, step)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    adler = ((size % 65521) << 16) | 1  # Adler-32 of `size` zeros
    return (
        b"\x78\xda"
        + block * full
        + tail.compress(bytes(rest))
        + tail.flush()
        + struct.pack(">I", adler)
    )


def pdf_with_content(content: bytes, filters: bytes = b"/FlateDecode") -> bytes:
    """A one-page PDF whose page content is the stream `content` (FlateDecode unless told)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters)
        + content
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of(width: int, height: int, idat: bytes | None, color_type: int = 2) -> bytes:
    """A PNG with a correct header (8-bit; RGB unless told) and the given compressed pixel
    data (None: no IDAT chunk at all)."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
    pixels = chunk(b"IDAT", idat) if idat is not None else b""
    return b"\x89PNG\r\n\x1a\n" + header + pixels + chunk(b"IEND", b"")


def timed_upload(client, app, name, content):
    started = time.monotonic()
    page = client.post(
        reverse("reviews:upload_scan", args=[app.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    ).content.decode()
    return page, time.monotonic() - started


#: A refusal takes one child process (~0.2 s alone, ~1 s on a loaded 2-core machine): far
#: below this, and far below what the file would cost if read (pdftotext took 15-25 s).
QUICK = 6.0
#: What a refusing child may reach in memory: nothing near the inflated or decoded size.
SMALL_MEMORY = 120 * 1024 * 1024


def test_a_pdf_inflating_to_a_gibibyte_is_refused_while_inflating(unit_client, app):
    bomb = pdf_with_content(zlib_of_zeros(1 << 30))
    assert len(bomb) < 1_100_000
    page, seconds = timed_upload(unit_client, app, "盖章件.pdf", bomb)
    assert "未上传：盖章扫描件：PDF 文件解压后超过 64 MB" in page
    assert not StampedScan.objects.exists()
    assert seconds < QUICK
    verdict = filecheck.check(bomb, "pdf")
    assert verdict.refusal == filecheck.PDF_TOO_LARGE
    assert verdict.peak_bytes < SMALL_MEMORY  # counted as it inflated, never held


def test_a_pdf_compressed_twice_is_counted_through_both_stages(unit_client, app):
    bomb = pdf_with_content(
        zlib.compress(zlib_of_zeros(1 << 30), 9), b"[/FlateDecode /FlateDecode]"
    )
    assert len(bomb) < 100_000
    page, seconds = timed_upload(unit_client, app, "盖章件.pdf", bomb)
    assert "未上传：盖章扫描件：PDF 文件解压后超过 64 MB" in page and seconds < QUICK


def test_a_pdf_whose_image_claims_too_many_pixels_is_refused(unit_client, app):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    image = pikepdf.Stream(
        pdf,
        zlib.compress(b"\0" * 1000),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=100_000,
        Height=100_000,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=8,
        Filter=pikepdf.Name.FlateDecode,
    )
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    buffer = io.BytesIO()
    pdf.save(buffer)
    page, seconds = timed_upload(unit_client, app, "盖章件.pdf", buffer.getvalue())
    assert "未上传：盖章扫描件：PDF 中的图片像素过多（超过 5000 万像素）" in page
    assert seconds < QUICK and not StampedScan.objects.exists()


def test_a_pdf_locked_with_a_password_is_refused(unit_client, app):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    page, _ = timed_upload(unit_client, app, "盖章件.pdf", buffer.getvalue())
    assert "未上传：盖章扫描件：PDF 文件设有密码，请去掉密码后上传。" in page


def test_inflating_stops_at_the_budget():
    raw = zlib_of_zeros(1 << 30)
    started = time.monotonic()
    assert filecheck._inflated_size(raw, 8 * 1024 * 1024) == 8 * 1024 * 1024 + 1
    assert time.monotonic() - started < 0.5  # 8 MB inflated, not 1 GiB
    assert filecheck._inflated_size(zlib_of_zeros(3_000_001), 1 << 30) == 3_000_001


def test_a_png_without_pixel_data_is_refused(unit_client, app):
    empty = png_of(1000, 1000, None)
    assert len(empty) < 70
    page, seconds = timed_upload(unit_client, app, "scan.png", empty)
    assert "未上传：盖章扫描件：图片文件已损坏或不完整，请重新扫描后上传。" in page
    assert not StampedScan.objects.exists() and seconds < QUICK


def test_a_png_decoding_to_330_megabytes_is_refused_undecoded(unit_client, app):
    width = height = 10_500  # 110 megapixels of RGB: 330 MB decoded
    bomb = png_of(width, height, zlib_of_zeros(height * (1 + 3 * width)))
    assert len(bomb) < 400_000
    page, seconds = timed_upload(unit_client, app, "scan.png", bomb)
    assert "未上传：盖章扫描件：图片像素过多（超过 5000 万像素）" in page
    assert not StampedScan.objects.exists() and seconds < QUICK
    verdict = filecheck.check(bomb, "image")
    assert verdict.refusal == filecheck.IMAGE_TOO_LARGE and verdict.peak_bytes < SMALL_MEMORY


def test_an_image_that_stops_before_its_pixels_is_refused(unit_client, app):
    width, height = 4000, 3000  # within the limit, so it is decoded: half its rows are missing
    rows = zlib_of_zeros(height * (1 + width))
    truncated = png_of(width, height, rows[: len(rows) // 2], color_type=0)
    page, seconds = timed_upload(unit_client, app, "scan.png", truncated)
    assert "图片文件已损坏或不完整" in page and seconds < QUICK
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 1600), "white").save(buffer, format="JPEG")
    jpeg = buffer.getvalue()
    page, seconds = timed_upload(unit_client, app, "scan.jpg", jpeg[: len(jpeg) // 2])
    assert "图片文件已损坏或不完整" in page and seconds < QUICK
    assert not StampedScan.objects.exists()


def test_a_whole_scan_within_the_limits_is_kept(unit_client, app):
    width, height = 2480, 3508  # A4 at 300 dpi, greyscale
    scan = png_of(width, height, zlib_of_zeros(height * (1 + width)), color_type=0)
    page, seconds = timed_upload(unit_client, app, "scan.png", scan)
    assert "已上传" in page and StampedScan.objects.count() == 1 and seconds < QUICK


def test_the_printed_form_still_gives_its_fingerprint(app):
    pdf = printing.form_pdf(app)
    verdict = filecheck.check(pdf, "pdf")
    assert verdict.refusal is None
    assert printing.fingerprint(app.snapshot()) in printing.fingerprints_in_text(verdict.text)


def test_the_child_runs_under_its_memory_limit(monkeypatch):
    """The limits are set in the child: at 100 MB of address space, a 40-megapixel RGB image
    (120 MB decoded) cannot be decoded, and the check says so instead of failing."""
    width, height = 8000, 5000
    scan = png_of(width, height, zlib_of_zeros(height * (1 + 3 * width)))
    assert filecheck.check(scan, "image").refusal is None
    monkeypatch.setattr(filecheck, "MEMORY_BYTES", 100 * 1024 * 1024)
    assert filecheck.check(scan, "image").refusal == filecheck.TOO_COSTLY


def test_the_child_is_stopped_at_the_wall_clock(monkeypatch):
    monkeypatch.setattr(filecheck, "WALL_SECONDS", 0.01)
    started = time.monotonic()
    verdict = filecheck.check(png(), "image")
    assert verdict.refusal == filecheck.TOO_COSTLY and time.monotonic() - started < 1


# --- file names ---------------------------------------------------------------------------


def multipart(name: str, content: bytes, token: str = "") -> tuple[bytes, str]:
    """A form body as a browser sends it: the file's name as UTF-8 in the part's header."""
    boundary = "----scanboundary"
    parts = []
    if token:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
            f"\r\n\r\n{token}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_file_name_too_long_to_receive_is_named(app):
    """As in production, the CSRF check reads the form first: the parser refuses a part whose
    headers pass 1 KB, and the page says which field and why instead of a bare 400."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(organisation=app.unit))
    url = reverse("reviews:upload_scan", args=[app.pk])
    item_page = client.get(app.get_absolute_url())
    token = item_page.context["csrf_token"] if item_page.context else ""
    body, content_type = multipart("盖章件" * 170 + ".png", png(), token=str(token))
    response = client.post(url, body, content_type=content_type)
    page = response.content.decode()
    assert response.status_code == 400
    assert "盖章扫描件：文件名过长（超过约 300 个汉字），系统无法接收。" in page
    assert "请把文件改成较短的名字" in page and not StampedScan.objects.exists()


def test_a_long_file_name_that_arrives_is_kept_shortened(unit_client, app):
    name = "扫" * 280 + ".png"  # 844 bytes: within the parser's limit, past the column's
    body, content_type = multipart(name, png())
    url = reverse("reviews:upload_scan", args=[app.pk])
    page = unit_client.post(url, body, content_type=content_type, follow=True).content.decode()
    assert "已上传" in page
    kept = StampedScan.objects.get().original_name
    assert len(kept) == 200 and kept.endswith("….png") and kept in page


def test_checks_beyond_the_hosts_slots_wait_then_are_refused_as_busy(
    unit_client, app, monkeypatch, tmp_path
):
    """However many workers and threads, at most SLOTS checks (children) run at once."""
    monkeypatch.setattr(filecheck, "SLOTS", 1)
    monkeypatch.setattr(filecheck, "LOCK_DIR", str(tmp_path))
    monkeypatch.setattr(filecheck, "QUEUE_SECONDS", 0.5)
    held = filecheck._take_slot()  # another upload's check, still running
    try:
        page, seconds = timed_upload(unit_client, app, "scan.png", png())
        assert (
            "未上传：盖章扫描件：系统正在检查其他用户上传的文件，请稍等一分钟后重新上传。" in page
        )
        assert 0.5 <= seconds < QUICK and not StampedScan.objects.exists()
    finally:
        os.close(held)
    page, _ = timed_upload(unit_client, app, "scan.png", png())
    assert "已上传" in page and StampedScan.objects.count() == 1


def test_the_upload_form_states_the_limits(unit_client, app):
    page = unit_client.get(app.get_absolute_url()).content.decode()
    assert "PDF、JPEG 或 PNG，不超过 20 MB、5000 万像素。" in page
