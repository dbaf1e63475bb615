"""Which data protection supervisory authority a personal-data breach is notified to.

The authorities are data (`reporting/data/supervisory_authorities.yaml`, citing GDPR Art. 55 and 56); this module
reads them and says, in words, which one is competent for a notification. Pure: no ORM, no settings.

- GDPR: the lead supervisory authority is the one of the controller's main establishment in the EEA (Art. 56(1)).
  Without a main establishment in the EEA the one-stop shop does not apply, and the authority of each Member State
  where data subjects are affected is competent (Art. 55(1)).
- UK GDPR: the Information Commissioner's Office.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from reporting.clock.conditions import country_of

DATA_FILE = Path(__file__).resolve().parent / "data" / "supervisory_authorities.yaml"
UK = "GB"


@dataclass(frozen=True)
class Authority:
    country: str
    name: str
    local_name: str = ""
    note: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.local_name})" if self.local_name else self.name


@dataclass(frozen=True)
class Competence:
    """The authorities a notification goes to, and why, in words."""

    authorities: tuple[Authority, ...]
    one_stop_shop: bool
    text: str


@lru_cache(maxsize=1)
def _data() -> dict:
    with DATA_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    source = raw["source"]
    authorities = {}
    for code, entry in raw["authorities"].items():
        code = str(code)
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            raise ValueError(f"{DATA_FILE.name}: authorities.{code}: a name is required")
        authorities[code] = Authority(country=code, name=entry["name"].strip(),
                                      local_name=str(entry.get("local_name", "")).strip(),
                                      note=" ".join(str(entry.get("note", "")).split()),
                                      source=entry.get("source", source))
    return {"version": raw["version"], "source": source, "provisions": raw["provisions"],
            "authorities": authorities}


def authorities() -> dict[str, Authority]:
    return _data()["authorities"]


def authority(country: str) -> Authority | None:
    return authorities().get(country_of((country or "").upper()))


def _with_note(a: Authority) -> str:
    return a.label + (f". {a.note}" if a.note else "")


def gdpr_competence(*, main_establishment: str, locations, eea) -> Competence:
    """The GDPR authority for a breach: the lead authority of the main establishment's country when that is in the
    EEA (`eea`: the EEA country codes), else the authority of each affected EEA country in `locations` (ISO 3166
    codes of the incident; subdivisions count as their country)."""
    country = (main_establishment or "").strip().upper()
    if country in eea and (lead := authority(country)):
        return Competence(
            authorities=(lead,), one_stop_shop=True,
            text=f"Lead supervisory authority (GDPR Art. 56(1)), main establishment in {country}: {_with_note(lead)}")
    affected = sorted({code.partition("-")[0].upper() for code in locations} & set(eea))
    named = tuple(a for a in (authority(code) for code in affected) if a is not None)
    why = (f"The main establishment ({country}) is not in the EEA" if country
           else "No main establishment in the EEA is recorded (ORGANISATION_COUNTRY is not set)")
    text = (f"{why}: the one-stop shop (GDPR Art. 56(1)) does not apply; the supervisory authority of each Member "
            "State where data subjects are affected is competent (Art. 55(1))")
    if named:
        text += ": " + "; ".join(f"{a.country}: {_with_note(a)}" for a in named)
    else:
        text += ". No affected EEA country is recorded on the incident yet."
    return Competence(authorities=named, one_stop_shop=False, text=text)


def uk_competence() -> Competence:
    ico = authority(UK)
    return Competence(authorities=(ico,), one_stop_shop=False,
                      text=f"{ico.label}, the UK GDPR supervisory authority ({ico.source})")
