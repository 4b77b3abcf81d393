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
- List headers (RFC 2919, RFC 2369): every recipient is a list of its own, ``List-Id:
  "<title> (<recipient>)" <<recipient>.digest.<sender's domain>>``, so readers can filter it;
  ``List-Unsubscribe: <mailto:ADDRESS?subject=unsubscribe%20<recipient>>`` writes to the
  unsubscribe address (``digest.unsubscribe_address``, else the sender), where a person acts on it:
  no program reads that mailbox, so there is no one-click (RFC 8058) header. ``List-Archive``
  points at the published digest site when ``digest.public_url`` is set.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from urllib.parse import quote

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
    one encoded word per line, then ``suffix`` (ASCII, e.g. ``<list.id>``) on a line of its own.
    With ``phrase``, a short ASCII value is written as one quoted string instead."""

    def __init__(self, name: str, value: str, suffix: str = "", *, phrase: bool = False) -> None:
        self.name = name
        self.value = value
        self.suffix = suffix
        self.phrase = phrase

    def fold(self, *, policy: Policy) -> str:
        sep = policy.linesep
        quoted = f'"{self.value}"'
        if self.phrase and self.value.isascii() and len(self.name) + len(quoted) + 2 <= 78:
            words = [quoted]
        else:
            words = encode_words(self.value)
        lines = words + ([self.suffix] if self.suffix else [])
        return f"{self.name}: " + f"{sep} ".join(lines) + sep

    def __str__(self) -> str:
        return f"{self.value} {self.suffix}" if self.suffix else self.value


class OneLineHeader:
    """An ASCII header written on one line as given (a URL in angle brackets, which folding
    would only push to a line of its own); at most 998 characters (RFC 5322)."""

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    @staticmethod
    def fits(name: str, value: str) -> bool:
        return value.isascii() and value.isprintable() and len(name) + len(value) + 2 <= 998

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self.value}{policy.linesep}"

    def __str__(self) -> str:
        return self.value


def mail_domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip().strip(">") or "localhost"
    return "".join(ch for ch in domain if ch.isalnum() or ch in ".-") or "localhost"


def new_message_id(recipient: str, from_address: str) -> str:
    """A globally unique Message-ID, e.g. ``<digest.daily.3f2a…@example.org>``."""
    slug = "".join(ch for ch in recipient.lower() if ch.isalnum() or ch == "-")[:40] or "r"
    return f"<digest.{slug}.{uuid.uuid4().hex}@{mail_domain(from_address)}>"


_LABEL_UNSAFE = re.compile(r"[^a-z0-9-]+")
_PHRASE_UNSAFE = re.compile(r'["\\]')


def list_label(recipient: str, from_address: str, kind: str = "digest") -> str:
    """The List-Id proper (RFC 2919 dot-atom), e.g. ``daily.digest.example.org``
    (``daily.alerts.example.org`` for alerts)."""
    label = _LABEL_UNSAFE.sub("-", recipient.lower()).strip("-")[:40].strip("-") or "recipient"
    return f"{label}.{kind}.{mail_domain(from_address)}"


def unsubscribe_url(address: str, recipient: str) -> str:
    """``mailto:`` URL of an unsubscribe request for ``recipient`` (RFC 6068)."""
    to = quote(address.strip(), safe="@")
    return f"mailto:{to}?subject={quote(f'unsubscribe {recipient}', safe='')}"


def _list_id_header(msg: EmailMessage, description: str, label: str) -> None:
    phrase = _PHRASE_UNSAFE.sub("", clean_line(description, max_chars=120))
    if not phrase:
        msg["List-Id"] = f"<{label}>"
        return
    header = EncodedHeader("List-Id", phrase, f"<{label}>", phrase=True)
    msg["List-Id"] = header  # type: ignore[assignment]


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
    list_id: tuple[str, str] | None = None,
    list_unsubscribe: str | None = None,
    list_archive: str | None = None,
) -> EmailMessage:
    """The message; ``list_id`` is ``(description, label)`` (see :func:`list_label`),
    ``list_unsubscribe`` and ``list_archive`` are URLs (see the module docstring)."""
    msg = EmailMessage(policy=policy.SMTP)
    subject = clean_line(subject, max_chars=SUBJECT_MAX * 2)
    msg["Subject"] = subject if subject.isascii() else EncodedHeader("Subject", subject)  # type: ignore[assignment]
    msg["From"] = _address(from_address, from_name)
    msg["To"] = _address(to_address)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if list_id is not None:
        _list_id_header(msg, *list_id)
    for name, url in (("List-Unsubscribe", list_unsubscribe), ("List-Archive", list_archive)):
        if url and OneLineHeader.fits(name, f"<{url}>"):
            msg[name] = OneLineHeader(name, f"<{url}>")  # type: ignore[assignment]
        elif url:
            msg[name] = f"<{url}>"
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg
