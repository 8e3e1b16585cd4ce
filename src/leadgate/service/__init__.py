"""The service: the store, ingestion, live scoring, definition versions and the REST API.

Layers, from the inside out: `store` (tables, the database, migrations), the domain operations
(`ingest`, `live`, `versions`, `tokens`), which take a session and never commit, and `api` (FastAPI),
where one request is one transaction.
"""
