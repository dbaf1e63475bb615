"""Checks that a PDF can be handed over: no text outside the page box, no raw values (None, True, False, snake_case
field names). pdfminer gives each character's box; pypdf the text."""

import re
from io import BytesIO

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTPage

from reporting.tests.pdf.helpers import pdf_text

# Raw values a person should never read in a document.
RAW_WORDS = re.compile(r"\b(None|True|False|null|true|false)\b")
# A field or model name as the code spells it (`aware_at`, `disclosure_decision`, `HistoricalIncident_systems`).
RAW_NAMES = re.compile(r"\b[A-Za-z][a-z0-9]*(?:_[A-Za-z0-9]+)+\b")
URL = re.compile(r"https?://\S+")
# Slack for rounding in the character boxes (points).
TOLERANCE = 0.5


def _chars(element):
    if isinstance(element, LTChar):
        yield element
        return
    for child in getattr(element, "_objs", ()) or ():
        yield from _chars(child)


def _where(number, run, box) -> str:
    return f"page {number}: {''.join(run)!r} ({box[0]:.0f}..{box[1]:.0f}, {box[2]:.0f}..{box[3]:.0f})"


def text_outside_page(pdf: bytes) -> list[str]:
    """Every run of characters drawn (partly) outside its page's box, as "page N: 'text' (x0..x1, y0..y1)"."""
    found = []
    for number, page in enumerate(extract_pages(BytesIO(pdf)), start=1):
        assert isinstance(page, LTPage)
        left, bottom, right, top = page.bbox
        run, box = [], None
        for char in _chars(page):
            outside = (char.x0 < left - TOLERANCE or char.x1 > right + TOLERANCE
                       or char.y0 < bottom - TOLERANCE or char.y1 > top + TOLERANCE)
            if outside:
                run.append(char.get_text())
                box = ((min(box[0], char.x0), max(box[1], char.x1), min(box[2], char.y0), max(box[3], char.y1))
                       if box else (char.x0, char.x1, char.y0, char.y1))
            elif run:
                found.append(_where(number, run, box))
                run, box = [], None
        if run:
            found.append(_where(number, run, box))
    return found


def raw_values(pdf: bytes) -> list[str]:
    """Raw values and code names in the document's text (web addresses left out: they may hold underscores)."""
    text = URL.sub(" ", pdf_text(pdf))
    return sorted({m.group(0) for m in RAW_WORDS.finditer(text)} | {m.group(0) for m in RAW_NAMES.finditer(text)})
