"""The funds ledger: fund accounts, double-entry append-only transactions, budgets."""
