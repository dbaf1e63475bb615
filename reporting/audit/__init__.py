"""Audit pages for legal reviewers, auditors and compliance officers: every version of a record with who, when,
from where and what changed, the chain status of those history rows, and the audit bundle export of an incident.

`selectors` reads the history rows, `diff` compares consecutive versions and writes their values readably,
`chain` asks the tamper-evidence module about the chains, `bundle` builds the CSV and PDF export and `views`
serves it all under /audit/ (routes in `reporting/audit_urls.py`).
"""
