"""The HTTP face of wise-kg: a FastAPI app made by :func:`create_app`."""

from wise_kg.api.app import create_app

__all__ = ["create_app"]
