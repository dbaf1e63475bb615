"""The reporting REST API: obligations, issued documents, disclosure decisions, regulatory facts and the AIID
export, as thin adapters over `reporting.selectors` (reads) and `reporting.services` (writes)."""
