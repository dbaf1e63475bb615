"""The remediation ledger's REST API (serializers, views, urls), mounted under /api/v1/."""
