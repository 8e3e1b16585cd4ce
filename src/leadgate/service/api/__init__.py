"""The REST API (FastAPI). `create_app` builds it; nothing connects to a database at import."""

from leadgate.service.api.app import create_app

__all__ = ["create_app"]
