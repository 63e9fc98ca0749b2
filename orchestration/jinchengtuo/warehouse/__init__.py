"""The DuckDB warehouse: raw-table contract, build-aside and atomic promotion."""
