"""A recipient's Apprise channels as outbox targets (``channel:NAME``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from functools import partial

from monitor.channels.apprise_send import ChannelError, channel_url, send_apprise
from monitor.channels.outbox import Target
from monitor.channels.outcome import PERMANENT, Attempt, SendResult
from monitor.config import AppriseSettings, ChannelConfig, RecipientConfig


def channel_key(channel: ChannelConfig) -> str:
    return f"channel:{channel.name}"


def channel_keys(recipient: RecipientConfig) -> list[str]:
    return [channel_key(c) for c in recipient.channels]


def _unusable(error: ChannelError, report: Callable[[Attempt], None]) -> SendResult:
    from datetime import UTC, datetime

    attempt = Attempt(PERMANENT, None, str(error), datetime.now(UTC))
    report(attempt)
    return SendResult([attempt])


def channel_targets(
    recipient: RecipientConfig,
    settings: AppriseSettings,
    *,
    title: str,
    body: str,
    message_id: str,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Target]:
    """One target per channel of ``recipient``; an unset URL variable is a permanent failure
    of that channel (recorded on its ``sends`` row, the other targets go on)."""
    env = os.environ if env is None else env
    out: list[Target] = []
    for channel in recipient.channels:
        try:
            url = channel_url(channel, env)
        except ChannelError as exc:
            out.append(Target(channel_key(channel), partial(_unusable, exc)))
            continue

        def send(
            report: Callable[[Attempt], None], url: str = url, fmt: str = channel.format
        ) -> SendResult:
            return send_apprise(
                url,
                title=title,
                body=body,
                settings=settings,
                body_format=fmt,
                message_id=message_id,
                on_attempt=report,
                sleep=sleep,
            )

        out.append(Target(channel_key(channel), send))
    return out
