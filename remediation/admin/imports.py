"""Imports of affected records in the admin: the upload that starts an import job, and the list of imports."""
