"""The incidents REST API (/api/v1/incidents/, its sub-resources and /api/v1/alerts/): thin adapters over the
incident selectors and services."""
