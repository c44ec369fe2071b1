"""The DuckDB warehouse: table definitions (schema), statements turned into table rows
(normalize), the one-transaction load of staged reports (load), the shared transaction, and what
each downstream step still has to refresh (pending)."""
