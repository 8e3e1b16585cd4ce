"""The store: tables, the database connection, and migrations."""

from leadgate.service.store.database import Store, default_url, open_store

__all__ = ["Store", "default_url", "open_store"]
