"""The affected records of incidents in the admin."""
