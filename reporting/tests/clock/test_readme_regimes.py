"""The README's page on the regimes (issue 12, item 6) stays true to the regime files: a row per regime, naming every
fact the regime's file reads (its conditions, clock starts, limits and postponements)."""

import re
from pathlib import Path

import yaml

from reporting.clock.regimes import REGIMES_DIR, regime_files

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = "#### Each regime: what it covers, the facts it reads, what it leaves to counsel"


def facts_read(node, found: set) -> set:
    """The facts a regime file reads, from its raw YAML (content items describe documents, not facts)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "content":
                continue
            clock_start = key in ("clock_start", "clock_start_default") and not str(value).startswith("submitted:")
            if key == "fact" or clock_start:
                found.add(value)
            elif key in ("locations_in", "locations_include", "per_location"):
                found.add("locations")
            else:
                facts_read(value, found)
    elif isinstance(node, list):
        for item in node:
            facts_read(item, found)
    return found


def readme_rows() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(HEADING, 1)[1].split("\n####", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and (code := re.fullmatch(r"`([a-z0-9_]+)`", cells[0])):
            rows[code.group(1)] = cells[2]
    return rows


def test_the_readme_has_a_row_per_regime_naming_every_fact_it_reads():
    rows = readme_rows()
    files = {yaml.safe_load(path.read_text(encoding="utf-8"))["code"]: path for path in regime_files(REGIMES_DIR)}
    assert set(rows) == set(files)
    for code, path in files.items():
        named = set(re.findall(r"`([a-z0-9_]+)`", rows[code]))
        missing = facts_read(yaml.safe_load(path.read_text(encoding="utf-8")), set()) - named
        assert not missing, f"{code}: the README does not name {sorted(missing)}"
