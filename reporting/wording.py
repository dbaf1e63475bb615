"""Code names in words, for what people read (documents, audit pages, timeline data).

The portal's field names, choice codes and notification content keys (`sec_delay_until`, `data_leakage`,
`delay_reasons`) become their labels ("SEC delay until", "Data leakage", "Reasons for the delay"); the regime
files' rules and notes, which name facts as the code does and time zones by their IANA names
(`America/New_York`), read with the labels and the zone as a place ("New York time")."""

import re
from functools import cache

ZONE = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/"
                  r"[A-Za-z_]+(?:/[A-Za-z_]+)?\b")
ACRONYMS = {"sla": "SLA", "sha256": "SHA-256", "raci": "RACI", "url": "URL", "api": "API", "ai": "AI", "id": "ID",
            "atlas": "ATLAS", "owasp": "OWASP", "csf": "CSF", "pdf": "PDF", "gdpr": "GDPR", "dpo": "DPO",
            "sec": "SEC", "nis2": "NIS2", "cra": "CRA", "dora": "DORA", "hipaa": "HIPAA", "phi": "PHI",
            "nydfs": "NYDFS", "eu": "EU", "cn": "CN"}
CODE_NAME = re.compile(r"\b[A-Za-z][a-z0-9]*(?:_[A-Za-z0-9]+)+\b")
# The apps whose names are looked up, in the order a name found in several takes its label from.
APPS = ("incidents", "reporting", "inventory", "remediation", "core")


def label_words(name) -> str:
    """A code name or verbose name as a label: words, acronyms in capitals, the first letter capitalised."""
    text = " ".join(ACRONYMS.get(word, word) for word in str(name).replace("_", " ").split())
    return text[:1].upper() + text[1:]


@cache
def code_words() -> dict[str, str]:
    """Field names and choice codes of the portal's records (`aware_at`, `data_leakage`), notification content
    keys (`delay_reasons`) and their sources (`incident.containment_actions`), as their labels. Only names with
    an underscore or a dot: any other value reads as it is."""
    from django.apps import apps

    words = {}
    models = sorted((m for m in apps.get_models() if m._meta.app_label in APPS),
                    key=lambda m: APPS.index(m._meta.app_label))
    for model in models:
        for field in model._meta.get_fields():
            if "_" in field.name and getattr(field, "verbose_name", None):
                words.setdefault(field.name, label_words(field.verbose_name))
            for code, label in getattr(field, "flatchoices", None) or ():
                if isinstance(code, str) and "_" in code:
                    words.setdefault(code, str(label))
    from reporting.clock.regimes import load_regimes

    for regime in load_regimes():
        for stage in regime.stages:
            for item in stage.content:
                words.setdefault(item.key, item.label)
                source = item.source
                if "." in source and source not in words:
                    owner, name = source.split(".", 1)
                    words[source] = f"{label_words(owner)}: {words.get(name, name.replace('_', ' '))}"
    return words


def in_words(text: str) -> str:
    """`text` with the portal's code names as their labels (quoted), other code names in words, and zones as
    places."""
    if not text:
        return text
    text = ZONE.sub(lambda m: m.group(0).rsplit("/", 1)[-1].replace("_", " ") + " time", text)

    def word(match):
        label = code_words().get(match.group(0))
        if label:
            return f"“{label}”"
        return " ".join(ACRONYMS.get(part, part) for part in match.group(0).split("_"))

    return CODE_NAME.sub(word, text)
