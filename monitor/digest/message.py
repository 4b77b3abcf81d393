"""The digest as a MIME message: headers that scraped text cannot break, both parts.

- Subject: title, counts and date, plus the lead headline shortened; every piece goes through
  :func:`monitor.digest.text.clean_line`, so no CR/LF or control character from a scraped title can
  reach a header. Non-ASCII subjects are encoded here (RFC 2047, :func:`encode_words`): the
  ``email`` package folds a space between two encoded words *outside* them, where a reader must
  ignore it, so "Иран и Россия" could arrive as "Иран иРоссия". Here every space is inside a word.
- Message-ID: made once per digest (:func:`new_message_id`), stored on the digest row and reused
  on every retry and resend, so a receiver can drop a second copy.
- ``multipart/alternative`` with text/plain first and text/html last (the preferred part);
  recipients with ``format: text`` get text/plain only.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime

from monitor.digest.model import DigestView
from monitor.digest.text import clean_line, truncate

SUBJECT_MAX = 180


def build_subject(view: DigestView) -> str:
    title = clean_line(view.title, max_chars=80) or "News digest"
    if view.empty:
        return f"{title}: no new reporting · {view.date_text}"
    counts = f"{view.story_count} {'story' if view.story_count == 1 else 'stories'}"
    subject = f"{title}: {counts} · {view.date_text}"
    lead = clean_line(view.lead_headline, max_chars=120)
    if lead:
        subject = f"{subject} — {lead}"
    return truncate(clean_line(subject, max_chars=SUBJECT_MAX * 2), SUBJECT_MAX)


ENCODED_WORD_BYTES = 40  # ≤ 56 base64 characters: "Subject: " + one word stays within 78


def encode_words(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), each of whole characters, with every
    space inside a word (white space *between* encoded words is not part of the text)."""
    chunks: list[bytes] = []
    chunk = b""
    for ch in text:
        raw = ch.encode("utf-8")
        if chunk and len(chunk) + len(raw) > ENCODED_WORD_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += raw
    if chunk:
        chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


class EncodedHeader:
    """A header the email package stores and writes as given: folded from :func:`encode_words`,
    one encoded word per line."""

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def fold(self, *, policy: Policy) -> str:
        sep = policy.linesep
        return f"{self.name}: " + f"{sep} ".join(encode_words(self.value)) + sep

    def __str__(self) -> str:
        return self.value


def mail_domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip().strip(">") or "localhost"
    return "".join(ch for ch in domain if ch.isalnum() or ch in ".-") or "localhost"


def new_message_id(recipient: str, from_address: str) -> str:
    """A globally unique Message-ID, e.g. ``<digest.daily.3f2a…@example.org>``."""
    slug = "".join(ch for ch in recipient.lower() if ch.isalnum() or ch == "-")[:40] or "r"
    return f"<digest.{slug}.{uuid.uuid4().hex}@{mail_domain(from_address)}>"


def _address(addr: str, display_name: str = "") -> Address:
    local, _, domain = addr.strip().rpartition("@")
    return Address(
        display_name=clean_line(display_name, max_chars=80), username=local, domain=domain
    )


def compose(
    *,
    subject: str,
    text: str,
    html: str | None,
    from_address: str,
    from_name: str,
    to_address: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    subject = clean_line(subject, max_chars=SUBJECT_MAX * 2)
    msg["Subject"] = subject if subject.isascii() else EncodedHeader("Subject", subject)  # type: ignore[assignment]
    msg["From"] = _address(from_address, from_name)
    msg["To"] = _address(to_address)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg
