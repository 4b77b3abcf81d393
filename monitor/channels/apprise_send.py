"""Sending a message through Apprise (https://github.com/caronc/apprise): one call per attempt.

A recipient's channel names an environment variable holding the Apprise URL (``json://…``,
``ntfys://…``, ``matrixs://…``, ``tgram://…``, ``slack://…``, …); the URL carries the service's
tokens, so it never sits in a config file. Apprise is imported only when a message goes out (it
fetches nothing at import).

Each attempt's outcome (:mod:`monitor.channels.outcome`) is read from Apprise's result: success is
``accepted``; an HTTP status in its log decides between ``temporary`` (408, 425, 429, 5xx) and
``permanent`` (other 4xx); no status (refused connection, timeout) is an ``error``. Temporary
failures and errors are retried with back-off (``apprise.max_attempts``, ``apprise.retry_base_s``).
Every attempt is limited to ``apprise.timeout_s`` (connect and read).

HTTP targets that send headers (``json://``, ``form://``, ``xml://``) also get ``X-Message-ID``,
the message's stable identity, so a receiver can drop a second copy after a resend.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from monitor.channels.outcome import ACCEPTED, ERROR, PERMANENT, TEMPORARY, Attempt, SendResult
from monitor.config import AppriseSettings, ChannelConfig
from monitor.errors import MonitorError

log = logging.getLogger(__name__)

_STATUS = re.compile(r"error=(\d{3})\b")
_RETRYABLE_4XX = {408, 425, 429}
_HEADER_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")


class ChannelError(MonitorError):
    """A channel cannot be used (its variable is unset)."""


def channel_url(channel: ChannelConfig, env: Mapping[str, str]) -> str:
    """The channel's Apprise URL from the environment."""
    url = (env.get(channel.url_env) or "").strip()
    if not url:
        raise ChannelError(
            f"channels: {channel.name}: the environment variable {channel.url_env} is not set "
            "(it holds the Apprise URL, e.g. json://hooks.example.org/monitor)"
        )
    return url


def redact(url: str) -> str:
    """The URL's scheme and host only (the rest may hold tokens)."""
    scheme, sep, rest = url.partition("://")
    host = re.split(r"[/?#]", rest.rpartition("@")[2], maxsplit=1)[0]
    return f"{scheme}{sep}{host}/…" if sep else "(not a URL)"


def _with_params(url: str, settings: AppriseSettings, message_id: str | None) -> str:
    params = [f"cto={settings.timeout_s:g}", f"rto={settings.timeout_s:g}"]
    if message_id and url.split("://", 1)[0].lower() in _HEADER_SCHEMES:
        params.append(f"+X-Message-ID={quote(message_id, safe='')}")
    base, _, fragment = url.partition("#")
    joined = base + ("&" if "?" in base else "?") + "&".join(params)
    return joined + (f"#{fragment}" if fragment else "")


def classify(messages: list[str]) -> tuple[str, int | None, str]:
    """``(outcome, HTTP status, text)`` of a failed attempt from Apprise's log lines."""
    text = "; ".join(messages) or "the service did not accept the message"
    codes = [int(m) for line in messages for m in _STATUS.findall(line)]
    if not codes:
        return ERROR, None, text
    code = codes[-1]
    if 400 <= code < 500 and code not in _RETRYABLE_4XX:
        return PERMANENT, code, text
    return TEMPORARY, code, text


def _send_once(url: str, *, title: str, body: str, body_format: str) -> Attempt:
    with warnings.catch_warnings():
        # Apprise's plugins import the standard library's deprecated imghdr when first loaded
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        client = apprise.Apprise()
        added = client.add(url)
    if not added:
        return Attempt(PERMANENT, None, "not an Apprise URL Apprise can use", datetime.now(UTC))
    result = client.notify(body=body, title=title, body_format=body_format)
    if result:
        return Attempt(ACCEPTED, 200, "accepted", datetime.now(UTC))
    messages = [
        str(entry.message)
        for service in result
        for attempt in service.attempts
        for entry in attempt.logs
    ]
    outcome, code, text = classify(messages)
    return Attempt(outcome, code, text[:500], datetime.now(UTC))


def send_apprise(
    url: str,
    *,
    title: str,
    body: str,
    settings: AppriseSettings,
    body_format: str = "text",
    message_id: str | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send ``title`` and ``body`` to ``url``, retrying temporary failures with back-off."""
    full = _with_params(url, settings, message_id)
    result = SendResult()
    for number in range(1, settings.max_attempts + 1):
        try:
            attempt = _send_once(full, title=title, body=body, body_format=body_format)
        except Exception as exc:  # an Apprise plugin failing in its own code
            attempt = Attempt(ERROR, None, f"{type(exc).__name__}: {exc}"[:500], datetime.now(UTC))
        result.attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        log.info(
            "Apprise attempt target=%s attempt=%d outcome=%s code=%s",
            redact(url),
            number,
            attempt.outcome,
            attempt.code,
        )
        if attempt.outcome in (ACCEPTED, PERMANENT):
            break
        if number < settings.max_attempts:
            sleep(settings.retry_base_s * 2 ** (number - 1))
    return result
