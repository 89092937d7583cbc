"""The HTML report in a real browser: headless Chromium renders it, screenshots it and dumps its DOM.

Payloads in the hostile model would mark the page (a `data-pwned` attribute on <body>, a changed title)
if they ran. A control page with the same payload left unescaped proves that the check can see it.
Locally the test skips without Chromium; in CI (env CI set) a missing browser is a failure.
"""

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import reports
from report_model import XSS_IMG, XSS_SCRIPT, XSS_TEXTAREA, make

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
TITLE = "Amplitude Classic → Actions migration report"


def _chromium():
    for candidate in CHROMIUM_CANDIDATES:
        path = shutil.which(candidate)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is required in CI (apt-get install -y chromium)")
    pytest.skip("chromium is not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = _chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")

    def run(page: Path, *args: str) -> subprocess.CompletedProcess:
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--hide-scrollbars", *args, page.as_uri(),
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)

    return run


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.text, self.body_attrs, self.title = [], set(), [], {}, ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")
        if tag == "body":
            self.body_attrs = dict(attrs)
        # only the document title, not the <title> of SVG charts
        self._in_title = tag == "title" and "body" not in self.tags

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)


def dump_dom(browser, page: Path) -> _Dom:
    dom = _Dom()
    dom.feed(browser(page, "--dump-dom").stdout)
    dom.close()
    dom.all_text = "".join(dom.text)
    return dom


def _pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    """RGB of one pixel of an 8-bit RGB/RGBA PNG (what Chromium writes)."""
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        chunk = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, _, depth, color = header[:4]
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw, stride, prev = zlib.decompressobj().decompress(idat), width * bpp, bytearray(width * bpp)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        prev = line
    return tuple(prev[x * bpp : x * bpp + 3])


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    written = reports.render_all(make(hostile=True), out)
    return written["html"]


def test_detector_sees_an_unescaped_payload(browser, tmp_path):
    # Control: the same payloads, unescaped and without our CSP, do run and are detected.
    page = tmp_path / "control.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><p>{XSS_IMG}</p>{XSS_SCRIPT}</body></html>",
        encoding="utf-8",
    )
    dom = dump_dom(browser, page)
    assert dom.body_attrs.get("data-pwned") == "1"
    assert dom.title == "pwned"


def test_report_renders_with_key_sections_and_inert_payloads(browser, hostile_report):
    dom = dump_dom(browser, hostile_report)
    for section in ("parity", "differences", "recommendations", "residuals", "detections",
                    "translation-log", "subscriptions", "inputs", "recommended-subscriptions"):
        assert section in dom.ids, section
    assert "Parity" in dom.all_text and "Translation log" in dom.all_text
    assert "71.8%" in dom.all_text
    # nothing ran
    assert "data-pwned" not in dom.body_attrs
    assert dom.title == TITLE
    assert "img" not in dom.tags and "script" not in dom.tags
    # and the payloads are visible as text
    for payload in (XSS_IMG, XSS_SCRIPT, XSS_TEXTAREA):
        assert payload in dom.all_text, payload


def test_report_screenshot(browser, hostile_report, tmp_path):
    shot = tmp_path / "report.png"
    browser(hostile_report, "--window-size=1280,2400", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2400)
    # the stylesheet applied (its CSP hash matched): the header band is dark navy, the page light grey
    assert _pixel(data, 20, 20) == (0x16, 0x1B, 0x2E)
    assert _pixel(data, 5, 400) == (0xF6, 0xF7, 0xF9)
    if os.environ.get("REPORT_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["REPORT_SCREENSHOT_DIR"]) / "report.png")


def test_example_report_in_browser(browser, example_report):
    # The README's main command on the bundled examples, whose events include injection attempts.
    _, report = example_report
    dom = dump_dom(browser, report / "report.html")
    assert {"parity", "differences", "translation-log", "recommended-subscriptions"} <= dom.ids
    assert dom.title == TITLE
    assert "img" not in dom.tags and "script" not in dom.tags
    assert "<img src=x onerror=alert(1)>" in dom.all_text
