"""Running the web app with uvicorn, refusing to expose an archive without a token."""

from __future__ import annotations

import ipaddress
import logging

from monitor.config import AppConfig
from monitor.db.engine import Database
from monitor.errors import ExitCode, MonitorError

log = logging.getLogger(__name__)


class WebConfigError(MonitorError):
    """The web app cannot start with these settings."""

    exit_code = ExitCode.CONFIG


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback unless a token protects the archive."""
    if not is_loopback(host) and not token:
        raise WebConfigError(
            f"web: refusing to listen on {host} without a token; set MONITOR_WEB_TOKEN "
            "(then log in with it, or send 'Authorization: Bearer TOKEN'), "
            "or serve on 127.0.0.1"
        )


def serve(config: AppConfig, db: Database, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    import uvicorn

    from monitor.web.app import create_app

    web = config.settings.web
    check_bind(host, web.token.get_secret_value() if web.token else None)
    log.info("Serving archive host=%s port=%s", host, port)
    uvicorn.run(create_app(config, db), host=host, port=port, log_level="info", proxy_headers=False)
