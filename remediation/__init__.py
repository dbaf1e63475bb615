"""The remediation ledger (issue 15): the records an incident affected (decisions, accounts, transactions,
people), each with its remediation state. Depends on incidents and inventory, and on reporting for the notice to
individuals (it can mark the GDPR Art. 34 obligation submitted, `services.notices`); reporting reads the ledger's
counts through `remediation.figures` only (the BLAST figures, the dashboard, the post-incident report)."""
