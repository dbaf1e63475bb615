"""The remediation ledger in the admin: the affected records (`records`) and their imports (`imports`)."""

from remediation.admin import imports, records  # noqa: F401  # registers the admins
