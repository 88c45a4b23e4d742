"""ASGI middleware: what every request passes through before (or instead of) routing."""
