"""Running the web app with uvicorn, refusing to expose an archive without a strong token."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping

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


def check_bind(host: str, token: str | None, readers: Mapping[str, str] | None = None) -> None:
    """Refuse to listen beyond loopback unless strong tokens protect the archive (the main
    token, if any, and every named reader's)."""
    for name, reader_token in (readers or {}).items():
        weak = token_weakness(reader_token)
        if weak and is_loopback(host):
            log.warning("Weak web token on loopback host=%s reader=%s", host, name)
        elif weak:
            raise WebConfigError(
                f"web: refusing to listen on {host}: the token of reader {name!r} is too weak "
                f"({weak}); {MAKE_ONE_HINT}"
            )
    if readers and not token and not is_loopback(host):
        return
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


def serve(
    config: AppConfig,
    db: Database,
    *,
    host: str,
    port: int,
    env: Mapping[str, str] | None = None,
    child_env: Mapping[str, str] | None = None,
) -> None:
    """Serve until interrupted (``env``: where reader tokens are read, default the process's;
    ``child_env``: the environment of crawls the pages start)."""
    import uvicorn

    from monitor.web.app import create_app

    web = config.settings.web
    tokens = web.reader_tokens(os.environ if env is None else env)
    check_bind(host, web.token.get_secret_value() if web.token else None, tokens)
    if not web.allowed_hosts and not allowed_hosts((), host):
        log.warning(
            "Listening on every address but answering only loopback host names host=%s; "
            "list the names clients use in web.allowed_hosts",
            host,
        )
    log_as_service()  # start-up and access lines by default, in the CLI's format (text or JSON)
    log.info("Serving archive host=%s port=%s", host, port, extra={"host": host, "port": port})
    app = create_app(config, db, bind_host=host, env=env, child_env=child_env)
    # log_config=None: uvicorn's lines go through the root handler, not a set-up of its own
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=None, proxy_headers=False)
