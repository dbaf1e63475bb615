"""The remediation ledger (issue 15): the records an incident affected (decisions, accounts, transactions,
people), each with its remediation state. Depends on incidents and inventory; nothing depends on it."""
