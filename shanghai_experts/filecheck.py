"""Checks of an uploaded PDF or image, run in a child process whose cost is bounded.

A file of a few hundred KB can inflate to gigabytes (a PDF's compressed streams, an image's
pixels). Whatever reads it therefore runs in a child process of its own:

- the child sets its own limits first (``resource.setrlimit``): CPU_SECONDS of CPU, MEMORY_BYTES
  of address space, no core file; pdftotext, which it starts, inherits them;
- the parent waits at most WALL_SECONDS, then kills the child's whole process group;
- a PDF's streams are inflated piece by piece and counted; past PDF_MAX_INFLATED_BYTES the
  count stops and the file is refused. Pages' images are not decoded here, only their declared
  size checked (nothing on the server decodes them);
- an image's size is read from its header and refused past MAX_PIXELS before any pixel is
  decoded (Pillow's own decompression-bomb guard, set to that limit); below it, the image is
  decoded whole (a JPEG at 1/8 scale), so a file that stops before its pixels do is refused.

The child is this file run as a script (``python -I filecheck.py pdf|image CPU MEMORY < file``,
the limits passed by the parent): it imports nothing of the project, and answers with one line
of JSON.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from dataclasses import dataclass

import pikepdf
from PIL import Image

#: CPU seconds for the child (and, separately, for the pdftotext it starts).
CPU_SECONDS = 5
#: Address space for the child and for pdftotext: the costliest image within MAX_PIXELS (a
#: progressive 4:4:4 JPEG) peaked at 330 MB, a 50-megapixel RGBA PNG at 221 MB.
MEMORY_BYTES = 512 * 1024 * 1024
#: The parent waits this long for the whole check, then kills it.
WALL_SECONDS = 2 * CPU_SECONDS + 2
#: At most this many checks run at once on the host, whatever the number of workers and
#: threads (so at most SLOTS × MEMORY_BYTES between them); a check waits up to QUEUE_SECONDS
#: for a slot, then the upload is refused as busy.
SLOTS = int(os.environ.get("FILECHECK_SLOTS", "2"))
QUEUE_SECONDS = 20.0
LOCK_DIR = tempfile.gettempdir()
#: An A4 page scanned at 600 dpi is 35 megapixels; an A3 page at 400 dpi 31.
MAX_PIXELS = 50_000_000
#: All of a PDF's streams except its images, inflated: the 附件1 form this system prints
#: inflates to well under 5 MB.
PDF_MAX_INFLATED_BYTES = 64 * 1024 * 1024
#: pdftotext reads at most this many pages; at most this much of its text is kept.
PDF_TEXT_PAGES = 20
PDF_TEXT_MAX_CHARS = 1_000_000
#: Inflating reads this much at a time, so no more than this is ever held at once.
INFLATE_STEP = 1024 * 1024

IMAGE_TOO_LARGE = (
    f"图片像素过多（超过 {MAX_PIXELS // 10_000} 万像素），请以 300–400 dpi 重新扫描后上传。"
)
IMAGE_BROKEN = "图片文件已损坏或不完整，请重新扫描后上传。"
PDF_BROKEN = "PDF 文件已损坏或无法读取，请重新导出或扫描后上传。"
PDF_ENCRYPTED = "PDF 文件设有密码，请去掉密码后上传。"
PDF_TOO_LARGE = (
    f"PDF 文件解压后超过 {PDF_MAX_INFLATED_BYTES // 1024 // 1024} MB，"
    "不像是扫描件，请重新导出或扫描后上传。"
)
PDF_IMAGE_TOO_LARGE = (
    f"PDF 中的图片像素过多（超过 {MAX_PIXELS // 10_000} 万像素），请以 300–400 dpi 重新扫描后上传。"
)
TOO_COSTLY = "文件无法在限定的时间和内存内读取，请重新扫描（如降低分辨率）后上传。"
BUSY = "系统正在检查其他用户上传的文件，请稍等一分钟后重新上传。"


@dataclass
class Verdict:
    """What the check found: a refusal to show the uploader (None when the file is fine), the
    text layer of a PDF, and what the check cost."""

    refusal: str | None
    text: str = ""
    seconds: float = 0.0
    peak_bytes: int = 0  # the child's (or pdftotext's) largest resident size


def check(data: bytes, kind: str) -> Verdict:
    """Check `data` ("pdf" or "image") in a child process under the limits above, in one of
    the host's SLOTS."""
    started = time.monotonic()
    slot = _take_slot()
    if slot is None:
        return Verdict(BUSY, seconds=time.monotonic() - started)
    try:
        verdict = _run_child(data, kind)
    finally:
        os.close(slot)  # and with it the lock
    verdict.seconds = time.monotonic() - started
    return verdict


def _take_slot() -> int | None:
    """An open, locked slot file (flock: released when closed, or when the process dies), or
    None when all SLOTS stayed taken for QUEUE_SECONDS."""
    deadline = time.monotonic() + QUEUE_SECONDS
    while True:
        for number in range(SLOTS):
            path = os.path.join(LOCK_DIR, f"filecheck-{os.getuid()}-{number}.lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _run_child(data: bytes, kind: str) -> Verdict:
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-I",
            "-B",
            os.path.abspath(__file__),
            kind,
            str(CPU_SECONDS),
            str(MEMORY_BYTES),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so pdftotext dies with it
    )
    try:
        out, _ = process.communicate(data, timeout=WALL_SECONDS)
    except subprocess.TimeoutExpired:
        _kill(process)
        process.communicate()
        return Verdict(TOO_COSTLY, seconds=time.monotonic() - started)
    finally:
        if process.poll() is None:  # an error above: leave nothing running
            _kill(process)
            process.wait()
    seconds = time.monotonic() - started
    try:
        answer = json.loads(out)
    except ValueError:  # killed at a limit (SIGXCPU, out of memory) before it could answer
        return Verdict(TOO_COSTLY, seconds=seconds)
    return Verdict(answer["refusal"], answer.get("text", ""), seconds, answer.get("peak_bytes", 0))


def _kill(process) -> None:
    """Kill the child and whatever it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --- the child ------------------------------------------------------------------------------


def _limit_self(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _check_image(data: bytes) -> dict:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's guard: raised at open, from the header
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return {"refusal": IMAGE_TOO_LARGE}
            if image.format == "JPEG":
                # Decode at 1/8 scale: every coded block is still read, at 1/64 the memory.
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()  # a file that stops before its pixels do raises here
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return {"refusal": IMAGE_TOO_LARGE}
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error):
        return {"refusal": IMAGE_BROKEN}
    return {"refusal": None}


def _inflated_size(raw: bytes, budget: int) -> int:
    """How many bytes a FlateDecode stream inflates to, counting no further than `budget`
    (then budget + 1). At most INFLATE_STEP bytes are held at a time. A damaged stream counts
    what inflated before the damage (as far as a reader gets too)."""
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending and total <= budget and not inflater.eof:
            total += len(inflater.decompress(pending, INFLATE_STEP))
            pending = inflater.unconsumed_tail
    except zlib.error:
        pass
    return min(total, budget + 1)


def _inflated(raw: bytes, budget: int) -> bytes:
    """A FlateDecode stream inflated, but no more than budget + 1 bytes of it."""
    try:
        return zlib.decompressobj().decompress(raw, budget + 1)
    except zlib.error:
        return b""


def _decoded_size(stream, budget: int) -> int:
    """How many bytes `stream` decodes to, counting no further than `budget` for Flate."""
    filters = _filters(stream)
    if not filters:
        return len(stream.read_raw_bytes())
    if all(name == "/FlateDecode" for name in filters):
        data = stream.read_raw_bytes()
        for _ in filters[:-1]:  # Flate over Flate: each stage held, at most budget + 1 bytes
            data = _inflated(data, budget)
            if len(data) > budget:
                return len(data)
        return _inflated_size(data, budget)
    try:  # LZW, run-length, ASCII: rare outside images; decoded whole, under the limits
        return len(stream.read_bytes())
    except pikepdf.PdfError:
        return 0  # a filter qpdf cannot decode: pdftotext cannot either


def _filters(stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(name) for name in value]
    return [str(value)]


def _check_pdf(data: bytes) -> dict:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return {"refusal": PDF_ENCRYPTED}
    except (pikepdf.PdfError, ValueError, OSError):
        return {"refusal": PDF_BROKEN}
    budget = PDF_MAX_INFLATED_BYTES
    try:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            if obj.get("/Subtype") == pikepdf.Name.Image:
                width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
                if width * height > MAX_PIXELS:
                    return {"refusal": PDF_IMAGE_TOO_LARGE}
                continue
            budget -= _decoded_size(obj, budget)
            if budget < 0:
                return {"refusal": PDF_TOO_LARGE}
    except (pikepdf.PdfError, ValueError, TypeError):
        return {"refusal": PDF_BROKEN}
    return {"refusal": None, "text": _pdf_text(data)}


def _pdf_text(data: bytes) -> str:
    """The text layer of the first PDF_TEXT_PAGES pages, or "" (pdftotext inherits the
    child's limits; the parent's wall clock bounds it too)."""
    try:
        result = subprocess.run(
            ["pdftotext", "-l", str(PDF_TEXT_PAGES), "-", "-"],
            input=data,
            capture_output=True,
            timeout=WALL_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    if result.returncode != 0:
        return ""
    return result.stdout[: PDF_TEXT_MAX_CHARS * 4].decode("utf-8", "replace")[:PDF_TEXT_MAX_CHARS]


def _own_peak() -> int:
    """This process's largest resident size since its exec (VmHWM; getrusage's ru_maxrss
    would also count the parent's pages it was forked with)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _children_peak() -> int:
    """pdftotext's largest resident size (at least this process's when it started it)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def _main(kind: str, cpu_seconds: str, memory_bytes: str) -> None:
    _limit_self(int(cpu_seconds), int(memory_bytes))
    data = sys.stdin.buffer.read()
    answer = _check_pdf(data) if kind == "pdf" else _check_image(data)
    answer["peak_bytes"] = max(_own_peak(), _children_peak())
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _main(*sys.argv[1:4])
