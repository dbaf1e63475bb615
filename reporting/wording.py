"""Regulatory texts in words for documents: the regime files' rules and notes name facts as the code does
(`sec_delay_until`) and time zones by their IANA names (`America/New_York`); a document names the fact as the
portal's forms label it ("SEC delay until") and the zone as a place ("New York time")."""

import re
from functools import cache

ZONE = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/"
                  r"[A-Za-z_]+(?:/[A-Za-z_]+)?\b")
ACRONYMS = {"sec": "SEC", "nis2": "NIS2", "gdpr": "GDPR", "cra": "CRA", "dora": "DORA", "hipaa": "HIPAA",
            "phi": "PHI", "nydfs": "NYDFS", "ai": "AI", "eu": "EU", "cn": "CN", "sla": "SLA"}
CODE_NAME = re.compile(r"\b[A-Za-z][a-z0-9]*(?:_[A-Za-z0-9]+)+\b")


@cache
def _labels() -> dict[str, str]:
    from incidents.models import Incident
    from reporting.models import RegulatoryFacts

    labels = {}
    for model in (Incident, RegulatoryFacts):
        for field in model._meta.get_fields():
            if getattr(field, "verbose_name", None) and "_" in field.name:
                text = " ".join(ACRONYMS.get(word, word) for word in str(field.verbose_name).split(" "))
                labels[field.name] = text[:1].upper() + text[1:]
    return labels


def in_words(text: str) -> str:
    """`text` with fact names as their labels (quoted), other code names in words, and zones as places."""
    if not text:
        return text
    text = ZONE.sub(lambda m: m.group(0).rsplit("/", 1)[-1].replace("_", " ") + " time", text)

    def word(match):
        label = _labels().get(match.group(0))
        if label:
            return f"“{label}”"
        return " ".join(ACRONYMS.get(word, word) for word in match.group(0).split("_"))

    return CODE_NAME.sub(word, text)
