"""Running the web app with uvicorn, refusing to expose an archive without a strong token."""

from __future__ import annotations

import ipaddress
import logging

from monitor.config import AppConfig
from monitor.db.engine import Database
from monitor.errors import ExitCode, MonitorError
from monitor.logging_setup import log_as_service
from monitor.web.security import MAKE_ONE_HINT, allowed_hosts, token_weakness

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
    """Refuse to listen beyond loopback unless a strong token protects the archive."""
    if is_loopback(host):
        if token and token_weakness(token):
            log.warning("Weak web token on loopback host=%s", host)
        return
    if not token:
        raise WebConfigError(
            f"web: refusing to listen on {host} without a token; set MONITOR_WEB_TOKEN "
            f"({MAKE_ONE_HINT}; then log in with it, or send 'Authorization: Bearer TOKEN'), "
            "or serve on 127.0.0.1"
        )
    weakness = token_weakness(token)
    if weakness:
        raise WebConfigError(
            f"web: refusing to listen on {host}: MONITOR_WEB_TOKEN is too weak ({weakness}); "
            f"{MAKE_ONE_HINT}"
        )


def serve(config: AppConfig, db: Database, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    import uvicorn

    from monitor.web.app import create_app

    web = config.settings.web
    check_bind(host, web.token.get_secret_value() if web.token else None)
    if not web.allowed_hosts and not allowed_hosts((), host):
        log.warning(
            "Listening on every address but answering only loopback host names host=%s; "
            "list the names clients use in web.allowed_hosts",
            host,
        )
    log_as_service()  # start-up and access lines by default, in the CLI's format (text or JSON)
    log.info("Serving archive host=%s port=%s", host, port, extra={"host": host, "port": port})
    app = create_app(config, db, bind_host=host)
    # log_config=None: uvicorn's lines go through the root handler, not a set-up of its own
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=None, proxy_headers=False)
