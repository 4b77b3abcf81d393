"""The archive web app: search, stories, items, sources, digests, Atom feeds and a JSON API."""

from monitor.web.app import create_app

__all__ = ["create_app"]
