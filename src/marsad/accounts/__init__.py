"""Accounts: account scores and the lineage of re-created accounts (issue 6)."""
