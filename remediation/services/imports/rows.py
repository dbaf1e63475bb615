"""Reading an import file: its lines decoded as UTF-8 and hashed while read (never held whole), the rows of a CSV
or JSON Lines file with their line numbers, and the check of one row's values (ADR 0013)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from portal.core import inputs
from remediation.models import JURISDICTION, ContactChannel, Kind

COLUMNS = ("external_id", "kind", "subject_ref", "jurisdiction", "contact_channel", "occurred_at", "system",
           "component")
REQUIRED = ("external_id", "kind")
MAX_LENGTH = {"external_id": 200, "subject_ref": 200}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
KINDS, CHANNELS = frozenset(Kind.values), frozenset(ContactChannel.values)
# A JSON line (or a physical CSV line) longer than this is refused without being held in memory.
MAX_LINE_CHARS = 1_000_000
READ_BYTES = 1 << 20


@dataclass
class RowError:
    line: int
    reason: str
    values: dict = field(default_factory=dict)

    def __str__(self):
        return f"line {self.line}: {self.reason}"



class FileError(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, unknown format): one line says why."""


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt and fmt != "auto":
        if fmt not in ("csv", "jsonl"):
            raise FileError(f"Unknown format {fmt!r}: use csv or jsonl.")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if not found:
        raise FileError(f"Cannot tell the format of {path.name} from its extension (.csv, .jsonl or .ndjson): "
                        "give --format csv or --format jsonl.")
    return found



# --- reading: bytes -> text lines, hashed and counted ------------------------------------------------------------

class Lines:
    """The file's text lines (line endings kept), decoded as UTF-8 while the SHA-256 of its bytes is computed.
    A byte sequence that is not UTF-8 is a `FileError` naming its offset; a line longer than MAX_LINE_CHARS is
    never held whole (`long_line` says where the last one was)."""

    def __init__(self, handle, *, universal_newlines: bool):
        self.handle, self.digest, self.offset = handle, hashlib.sha256(), 0
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.universal = universal_newlines
        self.pending, self.pos, self.carry, self.done = "", 0, "", False
        self.long_line = self.had_long_line = False

    def _more(self) -> bool:
        if self.done:
            return False
        chunk = self.handle.read(READ_BYTES)
        self.digest.update(chunk)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            start = self.offset - len(exc.object) + len(chunk) + exc.start
            raise FileError(f"The file is not UTF-8 text ({exc.reason} at byte {max(start, 0)}).") from None
        self.offset += len(chunk)
        self.done = not chunk
        if self.universal:  # \r\n and \r end a line as \n does (a \r at a chunk's end waits for the next)
            text, self.carry = self.carry + text, ""
            if text.endswith("\r") and not self.done:
                text, self.carry = text[:-1], "\r"
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.pending, self.pos = self.pending[self.pos:] + text, 0
        return True

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.long_line = False
        while True:
            end = self.pending.find("\n", self.pos)
            if end >= 0:
                line, self.pos = self.pending[self.pos:end + 1], end + 1
                if len(line) > MAX_LINE_CHARS:
                    self.long_line = self.had_long_line = True
                    return ""
                return line
            if len(self.pending) - self.pos > MAX_LINE_CHARS:  # drop the rest of this line as it arrives
                self.long_line = self.had_long_line = True
                self.pending, self.pos = "", 0
                while self._more() and (end := self.pending.find("\n")) < 0:
                    self.pending = ""
                self.pending, self.pos = (self.pending, end + 1) if end >= 0 else ("", 0)
                return ""
            if not self._more():
                if self.pos < len(self.pending):
                    line, self.pending, self.pos = self.pending[self.pos:], "", 0
                    return line
                raise StopIteration

    def sha256(self) -> str:
        while self._more():  # the rest of the file (after a CSV error), for the digest
            self.pending, self.pos = "", 0
        return self.digest.hexdigest()


def csv_rows(lines: Lines):
    """(line number, {column: raw text} or None, problem or None) of each non-blank CSV row."""
    numbered = iter(lines)
    reader = csv.reader(numbered)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("The file is empty: the first line must name the columns.") from None
    except csv.Error as exc:
        raise FileError(f"line 1: the header cannot be read ({exc}).") from None
    if lines.had_long_line:
        raise FileError(f"line 1: a line longer than {MAX_LINE_CHARS:,} characters.")
    header = [name.strip() for name in header]
    if unknown := [name for name in header if name not in COLUMNS]:
        raise FileError(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                        f"{', '.join(COLUMNS)}.")
    if repeated := sorted({name for name in header if header.count(name) > 1}):
        raise FileError(f"line 1: the column(s) {', '.join(map(repr, repeated))} appear more than once.")
    if missing := [name for name in REQUIRED if name not in header]:
        raise FileError(f"line 1: the header lacks the column(s) {', '.join(missing)}.")
    width = len(header)
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, {}, f"the row cannot be read as CSV ({exc})"
            return
        if lines.had_long_line:
            raise FileError(f"line {line}: a line longer than {MAX_LINE_CHARS:,} characters.")
        if not any(value.strip() for value in values):
            continue
        if len(values) == width:
            yield line, dict(zip(header, values, strict=True)), None
        else:
            yield line, dict(zip(header, values, strict=False)), f"{len(values)} values for {width} columns"


def jsonl_rows(lines: Lines):
    for number, raw in enumerate(lines, start=1):
        if lines.long_line:
            yield number, {}, f"the line is longer than {MAX_LINE_CHARS:,} characters"
            continue
        if not raw.strip():
            continue
        raw = raw.rstrip("\n")
        try:
            value = inputs.json_loads(raw, allow_nul=True)
        except inputs.JSONInputError as exc:
            yield number, {"line": raw}, str(exc)
            continue
        if not isinstance(value, dict):
            yield number, {"line": raw}, "each line must be a JSON object"
        elif unknown := [key for key in value if key not in COLUMNS]:
            yield number, value, f"unknown column(s) {', '.join(map(repr, unknown))}"
        else:
            yield number, value, None


def parse_rows(data: bytes, fmt: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """The rows of a small file held in memory, as (line number, {column: raw value}), and the rows that could
    not even be read (for tests and callers that have the bytes; the import streams)."""
    lines = Lines(io.BytesIO(data), universal_newlines=fmt != "csv")
    rows, errors = [], []
    for line, values, problem in (csv_rows if fmt == "csv" else jsonl_rows)(lines):
        if problem:
            errors.append(RowError(line, problem, values))
        else:
            rows.append((line, values))
    return rows, errors


# --- checking one row -------------------------------------------------------------------------------------------

def _moment(text: str) -> datetime:
    """The aware moment `text` names (in its own offset: the database stores it in UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time (e.g. 2026-03-01T09:30:00+01:00)") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or an offset such as +01:00)")
    # Within 1971-2199 an offset cannot leave the range; only the edge years need the full check.
    if not 1971 <= value.year <= 2199 and (problem := inputs.moment_out_of_range(value)):
        raise ValueError(problem)
    return value


def _jurisdiction(text: str) -> tuple[str, str]:
    upper = text.upper()
    if not JURISDICTION.match(upper):
        return "", f"jurisdiction: {text!r} is not a two-letter country code{inputs.iso_3166_hint(text)}"
    if hint := inputs.iso_3166_hint(upper):
        return "", f"jurisdiction: {text!r}{hint}"
    return upper, ""


class Checker:
    """Checks rows one by one: the row's values in staging order, and the reasons (one per column) it is refused.
    The system slug and component id are only checked for shape here; whether they exist is a join later."""

    def __init__(self):
        self.jurisdictions: dict[str, tuple[str, str]] = {}

    def check(self, values: dict) -> tuple[list, list[str]]:
        problems = []
        clean = ["", "", "", "", "", None, None, None]
        for index, column in enumerate(COLUMNS):
            raw = values.get(column)
            if raw is None:
                text = ""
            elif type(raw) is str:
                text = raw.strip()
            elif type(raw) is int:
                text = str(raw)
            else:
                problems.append(f"{column}: must be text")
                continue
            if not text:
                if column in REQUIRED:
                    problems.append(f"{column}: required")
                continue
            if inputs.NUL in text:
                problems.append(f"{column}: {inputs.NUL_MESSAGE}")
                continue
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(f"{column}: not valid Unicode text (a lone surrogate)")
                    continue
            if index == 0 or index == 2:  # external_id, subject_ref
                if len(text) > MAX_LENGTH[column]:
                    problems.append(f"{column}: at most {MAX_LENGTH[column]} characters ({len(text)} given)")
                    continue
            elif index == 1:
                if text not in KINDS:
                    problems.append(f"kind: {text!r} is not one of {', '.join(Kind.values)}")
                    continue
            elif index == 3:
                known = self.jurisdictions.get(text)
                if known is None:
                    known = _jurisdiction(text)
                    if len(self.jurisdictions) < 10_000:
                        self.jurisdictions[text] = known
                text, problem = known
                if problem:
                    problems.append(problem)
                    continue
            elif index == 4:
                if text not in CHANNELS:
                    problems.append(f"contact_channel: {text!r} is not one of {', '.join(ContactChannel.values)}")
                    continue
            elif index == 5:
                try:
                    text = _moment(text)
                except ValueError as exc:
                    problems.append(f"occurred_at: {exc}")
                    continue
            elif index == 7:
                if not (text.isascii() and text.isdigit()) or len(text) >= 19:
                    problems.append(f"component: no component with the id {text!r}")
                    continue
                text = int(text)
            clean[index] = text
        return clean, problems
