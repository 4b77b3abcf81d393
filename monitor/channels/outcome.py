"""The outcome of one delivery attempt, the same for SMTP and Apprise targets.

- ``accepted``  – the target took the message (SMTP 250, HTTP 2xx);
- ``temporary`` – a refusal worth retrying (SMTP 4xx; HTTP 408, 425, 429, 5xx);
- ``error``     – no answer (connection refused or lost, timeout): retried; the target may have
  taken the message before the connection dropped, so a message whose last attempt ended like this
  is sent again on the next run (with the same Message-ID);
- ``permanent`` – a refusal not worth retrying (SMTP 5xx, HTTP 4xx, a URL Apprise does not know).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ACCEPTED, TEMPORARY, PERMANENT, ERROR = "accepted", "temporary", "permanent", "error"


@dataclass(frozen=True)
class Attempt:
    outcome: str
    code: int | None
    message: str
    at: datetime


@dataclass
class SendResult:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def accepted(self) -> bool:
        return self.last is not None and self.last.outcome == ACCEPTED
