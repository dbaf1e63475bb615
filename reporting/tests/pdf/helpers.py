"""Helpers of the PDF renderer tests (importable by the renderer's child process: no Django models here)."""

import time
import xml.etree.ElementTree as ET
from io import BytesIO

from pypdf import PdfReader

from reporting.pdf import SafeURLFetcher

PDFAID = "http://www.aiim.org/pdfa/ns/id/"
XMP = "http://ns.adobe.com/xap/1.0/"


def pdf_text(pdf: bytes) -> str:
    """All page text, whitespace collapsed (table cells wrap lines anywhere)."""
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def page_count(pdf: bytes) -> int:
    return len(PdfReader(BytesIO(pdf)).pages)


def xmp_tree(pdf: bytes) -> ET.Element:
    reader = PdfReader(BytesIO(pdf))
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return ET.fromstring(packet.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])  # noqa: S314 (our own output)


def xmp_values(pdf: bytes) -> dict:
    """Every attribute and simple element of the XMP packet, as {"{namespace}name": value}."""
    values = {}
    for element in xmp_tree(pdf).iter():
        values.update(element.attrib)
        if element.text and element.text.strip() and len(element) == 0:
            values[element.tag] = element.text.strip()
    return values


def embedded_files(pdf: bytes) -> dict:
    """{name: (filespec dict, embedded file stream)} of the PDF's EmbeddedFiles name tree."""
    root = PdfReader(BytesIO(pdf)).trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    files = {}
    for name, spec in zip(names[::2], names[1::2], strict=True):
        spec = spec.get_object()
        files[str(name)] = (spec, spec["/EF"]["/F"].get_object())
    return files


class StallingFetcher(SafeURLFetcher):
    """A fetcher that hangs on every request: a render that never finishes on its own."""

    def fetch(self, url, headers=None):
        time.sleep(120)
        return super().fetch(url, headers)


class CrashingFetcher(SafeURLFetcher):
    """A fetcher that ends the process rendering with it, as a crash of the renderer would (exit code 70)."""

    def fetch(self, url, headers=None):
        import os

        os._exit(70)
