"""SMTP delivery with retries.

Security: ``starttls`` (submission port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a local
relay only). Certificates are verified against the system store plus ``smtp.ca_file``; login uses
``smtp.username`` and the password from ``MONITOR_SMTP_PASSWORD``.

Every attempt has one outcome:

- ``accepted``  – the server answered 250 to the message;
- ``temporary`` – a 4xx reply: retried after ``retry_base_s``, doubling, up to ``max_attempts``;
- ``error``     – connection refused or lost, timeout, TLS handshake failure: retried the same way.
  After DATA the server may have accepted the message before the connection dropped, so a digest
  whose last attempt ended like this stays ``sending`` and is resent, same Message-ID, next run;
- ``permanent`` – a 5xx reply (including a rejected login): not retried.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from monitor.channels.outcome import ACCEPTED, ERROR, PERMANENT, TEMPORARY, Attempt, SendResult
from monitor.config import SmtpSettings

log = logging.getLogger(__name__)

__all__ = ["ACCEPTED", "ERROR", "PERMANENT", "TEMPORARY", "Attempt", "SendResult", "deliver"]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def classify(exc: BaseException) -> tuple[str, int | None, str]:
    """``(outcome, smtp code, message)`` for an exception raised while sending."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [(c, _text(m)) for c, m in exc.recipients.values()]
        code, msg = codes[0] if codes else (None, "recipients refused")
        outcome = PERMANENT if code is not None and code >= 500 else TEMPORARY
        return outcome, code, f"recipient refused: {msg}"
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        outcome = PERMANENT if 500 <= code < 600 else TEMPORARY if 400 <= code < 500 else ERROR
        return outcome, code, _text(exc.smtp_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PERMANENT, None, f"TLS certificate not trusted: {exc.verify_message}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PERMANENT, None, str(exc)
    return ERROR, None, f"{type(exc).__name__}: {exc}"


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if settings.ca_file:
        ctx.load_verify_locations(cafile=settings.ca_file)
    return ctx


def _send_once(settings: SmtpSettings, raw: bytes, sender: str, recipients: Sequence[str]) -> str:
    ctx = tls_context(settings) if settings.security != "none" else None
    client: smtplib.SMTP
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout_s, context=ctx
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=ctx)
            client.ehlo()
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else ""
            client.login(settings.username, password)
        refused = client.sendmail(sender, list(recipients), raw)
    except BaseException:
        client.close()
        raise
    # accepted: nothing after this point may turn the outcome into a failure
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
    if refused:
        return f"accepted, some recipients refused: {sorted(refused)}"
    return "accepted"


def deliver(
    settings: SmtpSettings,
    raw: bytes,
    *,
    sender: str,
    recipients: Sequence[str],
    on_attempt: Callable[[Attempt], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send ``raw`` (a complete RFC 5322 message), retrying temporary failures with back-off."""
    result = SendResult()
    for number in range(1, settings.max_attempts + 1):
        try:
            message = _send_once(settings, raw, sender, recipients)
            attempt = Attempt(ACCEPTED, 250, message, datetime.now(UTC))
        except (smtplib.SMTPException, OSError) as exc:
            outcome, code, text = classify(exc)
            attempt = Attempt(outcome, code, text[:500], datetime.now(UTC))
        result.attempts.append(attempt)
        if on_attempt is not None:
            on_attempt(attempt)
        log.info(
            "SMTP attempt host=%s attempt=%d outcome=%s code=%s",
            settings.host,
            number,
            attempt.outcome,
            attempt.code,
        )
        if attempt.outcome in (ACCEPTED, PERMANENT):
            break
        if number < settings.max_attempts:
            sleep(settings.retry_base_s * 2 ** (number - 1))
    return result
