"""The remediation ledger in the admin: the affected records (`records`) and their imports (`imports`); the notice
to individuals on the incident's page (`notices`)."""

from remediation.admin import imports, notices, records  # noqa: F401  # registers the admins
