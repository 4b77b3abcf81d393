"""Typed configuration loaded from YAML under ``config/``.

Files (all in one config directory):

- ``monitor.yaml``  – database, data directory, crawl, relevance, dedup, digest, SMTP, recipients,
  web and schedule settings (:class:`Settings`);
- ``sources.yaml``  – the shipped source list (:class:`SourceConfig` entries);
- ``outlets.yaml`` – outlet names and agency credits removed before copies are compared
  (:class:`OutletsFile`; the shipped file when the config directory has none);
- ``topics/<name>.yaml`` – the topic definition named by ``topic`` in ``monitor.yaml``
  (validated by :mod:`monitor.relevance.topic`).

The config directory is the first of: the ``--config`` CLI option, ``MONITOR_CONFIG_DIR``,
``./config`` when it holds a ``monitor.yaml``, and the defaults shipped with the package.

Environment variables override the file: every key has one (``crawl.retries`` →
``MONITOR_CRAWL__RETRIES``) and a ``*_FILE`` twin; secrets (``smtp.password``, ``web.token``)
come only from the environment. :mod:`monitor.settings_sources` has the rules and records where
each value came from (``monitor config show``).

Every problem is reported as :class:`~monitor.errors.ConfigError` naming file, key and reason.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor import settings_sources as sources
from monitor.errors import ConfigError, ConfigProblem, QuerySyntaxError
from monitor.identity import Outlets
from monitor.languages import Language
from monitor.netguard import Network, parse_networks
from monitor.paths import shipped_config_dir
from monitor.schedules import parse_crontab, parse_schedule

OUTLETS_FILE = "outlets.yaml"

SourceKind = Literal["rss", "atom", "sitemap", "listing"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
        ) from None
    return value


def _check_address(value: str | None) -> str | None:
    if value is None:
        return None
    if "@" not in value or any(c in value for c in "\r\n <>"):
        raise ValueError("must be a plain address like name@example.org")
    return value


def _check_base_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.startswith(("http://", "https://")) or any(c in value for c in " \r\n<>\"'"):
        raise ValueError("must be an http(s) URL such as https://monitor.example.org")
    return value.rstrip("/")


# --------------------------------------------------------------------------- sources.yaml


class ListingSelectors(_Model):
    """How a listing page shows its article links (CSS or XPath; CSS wins when both are set)."""

    article_links_css: str | None = Field(
        None, description="CSS selector of <a> elements of articles"
    )
    article_links_xpath: str | None = Field(None, description="XPath of <a> elements of articles")


class SourceConfig(_Model):
    """One outlet's feed, sitemap or listing page."""

    name: str = Field(min_length=1, max_length=200, description="Unique display name")
    url: str = Field(description="Feed, sitemap or listing URL (http or https)")
    kind: SourceKind = Field(description="rss | atom | sitemap | listing")
    language: Language = Field(description="Declared language (a hint; items are detected)")
    poll_interval_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60, description="Minutes between polls"
    )
    enabled: bool = True
    fetch_fulltext: bool | None = Field(
        None, description="Fetch article pages; null = only when the feed text is short"
    )
    category: str = Field(
        "other", description="state_agency, independent, international, official, search…"
    )
    verified: bool = Field(
        False, description="false: URL taken from public references, not checked from here"
    )
    selectors: ListingSelectors | None = None
    notes: str = ""
    timezone: str | None = Field(
        None,
        description="IANA zone of the source's dates without an offset; null = from the language "
        "(ru: Europe/Moscow, fa: Asia/Tehran, en: UTC)",
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class SourcesFile(_Model):
    sources: list[SourceConfig]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for src in self.sources:
            if src.name in seen:
                raise ValueError(f"duplicate source name {src.name!r}")
            seen.add(src.name)
        return self


# --------------------------------------------------------------------------- monitor.yaml


class OutletsFile(_Model):
    """``outlets.yaml``: outlet names around headlines and agency credits in texts."""

    names: list[str] = Field(
        min_length=1, description="Outlet names before or after a headline ('TASS: …')"
    )
    agencies: list[str] = Field(
        min_length=1, description="Agency credits and datelines in texts ('(Reuters) -')"
    )

    @field_validator("names", "agencies")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if not name.strip():
                raise ValueError(f"entry {i} is empty")
            if len(name) > 60 or "\n" in name:
                raise ValueError(
                    f"entry {i} ({name[:30]!r}…) is not a name: one line, ≤ 60 characters"
                )
        return value


class CrawlSettings(_Model):
    user_agent: str = Field(
        "IranRussiaMonitor/0.1 (+{contact_url})",
        description="User-Agent; {contact_url} is replaced by contact_url",
    )
    contact_url: str = Field(
        "https://example.org/monitor-contact", description="Where site owners reach you"
    )
    obey_robots_txt: bool = True
    concurrent_requests: int = Field(16, ge=1, le=256)
    concurrent_requests_per_domain: int = Field(2, ge=1, le=32)
    download_delay_s: float = Field(0.0, ge=0)
    autothrottle: bool = True
    download_timeout_s: float = Field(30, gt=0, le=600)
    max_body_bytes: int = Field(10_000_000, ge=10_000, description="Larger responses are aborted")
    retries: int = Field(2, ge=0, le=10)
    retry_backoff_s: float = Field(
        1.0, ge=0, le=60, description="Pause before a retry; doubles each time"
    )
    fetch_fulltext: bool = Field(True, description="Default for sources without fetch_fulltext")
    fulltext_min_chars: int = Field(
        400, ge=0, description="Feed text shorter than this → fetch page"
    )
    backoff_base_minutes: int = Field(15, ge=1, description="First back-off after a failure")
    backoff_max_hours: int = Field(24, ge=1, description="Back-off never exceeds this")
    run_time_limit_s: int = Field(1800, ge=10, description="A crawl child running longer is killed")
    max_items_per_source: int = Field(500, ge=1, description="Entries read per feed per run")
    max_article_fetches_per_source: int = Field(
        100,
        ge=1,
        description="Article pages fetched per source per run; the rest wait for the next run",
    )
    extract_workers: int = Field(
        1, ge=0, le=8, description="Processes extracting article text; 0 = in the crawl process"
    )
    allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs of non-public networks that may be fetched (intranet, loopback)",
    )

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return [text.strip() for text in value]

    @property
    def resolved_user_agent(self) -> str:
        return self.user_agent.replace("{contact_url}", self.contact_url)

    @property
    def allowed_networks(self) -> tuple[Network, ...]:
        """``allow_networks`` parsed (validated when the settings were read)."""
        return parse_networks(self.allow_networks)


class RelevanceSettings(_Model):
    threshold: float | None = Field(
        None, description="Overrides the topic file's threshold when set"
    )


class DedupSettings(_Model):
    window_days: int = Field(7, ge=1, le=90, description="Matching looks this far back")
    near_copy_threshold: float = Field(0.75, gt=0, le=1, description="Jaccard estimate for a copy")
    title_copy_threshold: float = Field(0.9, gt=0, le=1, description="Title-only items: stricter")
    related_threshold: float = Field(0.3, gt=0, le=1, description="Same-event link score")
    min_text_chars: int = Field(200, ge=0, description="Shorter texts fall back to titles")
    num_perm: int = Field(128, ge=16, le=512, description="MinHash permutations")
    lsh_rows: int = Field(4, ge=1, le=32, description="Rows per LSH band (num_perm/rows bands)")
    containment_threshold: float = Field(
        0.8, gt=0, le=1, description="Share of the shorter text found in the longer: a trimmed copy"
    )
    min_shingles: int = Field(
        12, ge=1, description="Fewer informative 3-word shingles → title only"
    )
    title_window_hours: int = Field(72, ge=1, description="Title-only copies must be this close")
    related_window_hours: int = Field(72, ge=1, description="Related reports must be this close")
    max_candidates: int = Field(20, ge=1, le=1000, description="Candidates compared per item")


class RecipientFilters(_Model):
    themes: list[str] = Field(default_factory=list, description="Empty = every theme")
    languages: list[Language] = Field(default_factory=list, description="Empty = every language")
    min_score: float | None = None


def _check_query(value: str | None) -> str | None:
    """A query in the project's query language; a bad one is a ValueError naming its position."""
    if value is None or not value.strip():
        return None
    from monitor.query import parse_query

    try:
        parse_query(value)
    except QuerySyntaxError as exc:
        raise ValueError(str(exc).removeprefix("query: ") + f" in {value!r}") from None
    return value


def _check_clock_range(value: str | None) -> str | None:
    """``HH:MM-HH:MM`` (local time; may wrap past midnight, e.g. ``22:00-07:00``)."""
    if value is None:
        return None
    parts = value.replace(" ", "").split("-")
    ok = len(parts) == 2 and all(
        len(p) == 5 and p[2] == ":" and p[:2].isdigit() and p[3:].isdigit() for p in parts
    )
    if not ok or any(int(p[:2]) > 23 or int(p[3:]) > 59 for p in parts):
        raise ValueError(f"{value!r} is not a time range like 22:00-07:00")
    if parts[0] == parts[1]:
        raise ValueError(f"{value!r} is empty (start and end are the same)")
    return "-".join(parts)


class ChannelConfig(_Model):
    """A notification channel reached through Apprise (webhook, ntfy, Matrix, Telegram, Slack…).

    The Apprise URL carries tokens, so it is read only from the environment variable named here.
    """

    name: str = Field(
        min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$", description="Label"
    )
    url_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the Apprise URL (a secret)",
    )
    format: Literal["text", "markdown"] = Field("text", description="Body format sent")


class RecipientAlerts(_Model):
    """Messages sent right away, besides the digest (which still carries the same stories)."""

    breaking: bool = Field(False, description="A short alert when a story breaks (alerts: rules)")
    matches: bool = Field(False, description="An alert for every new story matching query/filters")
    quiet_hours: str | None = Field(
        None, description="HH:MM-HH:MM local time: alerts wait until the end"
    )

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        return _check_clock_range(value)


class RecipientConfig(_Model):
    name: str = Field(min_length=1, description="Stable key for delivery state")
    address: str | None = Field(None, description="Email address (or only channels)")
    query: str | None = Field(None, description="Only items matching this query (query language)")
    channels: list[ChannelConfig] = Field(default_factory=list, description="Apprise channels")
    alerts: RecipientAlerts = RecipientAlerts()
    schedule: str = Field("daily 07:00", description="daily HH:MM | weekly mon HH:MM | cron: …")
    timezone: str = "UTC"
    format: Literal["html", "text"] = "html"
    filters: RecipientFilters = RecipientFilters()
    skip_empty: bool = Field(True, description="false: send a short 'no new reporting' digest")
    backfill_days: int = Field(
        7, ge=0, le=3650, description="First digest reaches back this far (later: never a gap)"
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return _check_address(value)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        return _check_query(value)

    @model_validator(mode="after")
    def _somewhere(self) -> RecipientConfig:
        if self.address is None and not self.channels:
            raise ValueError("needs an address or at least one channel")
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate channel names: {', '.join(names)}")
        return self

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)  # ScheduleSyntaxError is a ValueError: file/key/reason
        return value


class SmtpSettings(_Model):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = Field(
        None, description="Only from MONITOR_SMTP_PASSWORD (or MONITOR_SMTP_PASSWORD_FILE)"
    )
    from_address: str = "monitor@localhost"
    ca_file: str | None = Field(
        None, description="PEM file of extra CA certificates to trust (private relay)"
    )
    timeout_s: float = Field(30, gt=0)
    max_attempts: int = Field(4, ge=1, le=20, description="Temporary failures retried this often")
    retry_base_s: float = Field(
        2.0, ge=0, description="Back-off between attempts doubles from here"
    )


class AppriseSettings(_Model):
    timeout_s: float = Field(20, gt=0, le=600, description="Connect and read timeout per attempt")
    max_attempts: int = Field(4, ge=1, le=20, description="Temporary failures retried this often")
    retry_base_s: float = Field(
        2.0, ge=0, description="Back-off between attempts doubles from here"
    )


class AlertRule(_Model):
    """A story breaks when it carries one of these key figures and one of these themes."""

    name: str = Field(min_length=1, max_length=80)
    figures: list[str] = Field(default_factory=list, description="Any of these key figures")
    themes: list[str] = Field(default_factory=list, description="… and any of these themes")
    min_sources: int = Field(1, ge=1, description="… reported by this many outlets")

    @model_validator(mode="after")
    def _something(self) -> AlertRule:
        if not self.figures and not self.themes:
            raise ValueError("a rule needs figures, themes or both")
        return self


class AlertSettings(_Model):
    min_sources: int = Field(3, ge=2, le=100, description="N distinct outlets …")
    window_hours: int = Field(6, ge=1, le=168, description="… within M hours: the story breaks")
    second_language: bool = Field(
        True, description="A story from two outlets in a second language also breaks"
    )
    rules: list[AlertRule] = Field(default_factory=list, description="Key figure + theme rules")
    update_steps: list[int] = Field(
        default_factory=lambda: [6, 10, 20],
        description="Outlet counts at which an alerted story is alerted again (an update)",
    )

    @field_validator("update_steps")
    @classmethod
    def _steps(cls, value: list[int]) -> list[int]:
        if any(v < 2 for v in value) or sorted(set(value)) != value:
            raise ValueError("must be increasing outlet counts of 2 or more, e.g. [6, 10, 20]")
        return value


class DigestSettings(_Model):
    title: str = "Iran–Russia monitor"
    key_developments: int = Field(5, ge=0, le=50)
    snippet_sentences: int = Field(3, ge=1, le=6)
    max_stories: int = Field(500, ge=1)
    site_dir: str = Field("digests", description="Static site of digest pages, under data_dir")
    public_url: str | None = Field(
        None, description="Where site_dir is published: adds a 'view in browser' link"
    )
    unsubscribe_address: str | None = Field(
        None, description="List-Unsubscribe requests go here (null: smtp.from_address)"
    )

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return _check_base_url(value)

    @field_validator("unsubscribe_address")
    @classmethod
    def _unsubscribe(cls, value: str | None) -> str | None:
        return _check_address(value)


class ReaderSettings(_Model):
    """A named reader of the web app: own token (from the environment), own read and starred
    state."""

    name: str = Field(min_length=1, max_length=120, description="Shown on the pages")
    token_env: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="Environment variable with the reader's token (or its *_FILE twin)",
    )


class WebSettings(_Model):
    host: str = "127.0.0.1"
    public_url: str | None = Field(
        None, description="The web app's address as readers reach it (links in alerts)"
    )
    port: int = Field(8750, ge=1, le=65535)
    token: SecretStr | None = Field(
        None, description="Only from MONITOR_WEB_TOKEN (or MONITOR_WEB_TOKEN_FILE)"
    )
    page_size: int = Field(25, ge=5, le=200)
    allowed_hosts: tuple[str, ...] = Field(
        (), description="Host names answered besides loopback ones and the bound address; * any"
    )
    session_hours: int = Field(12, ge=1, le=720, description="A login lasts this long")
    login_attempts: int = Field(5, ge=1, le=1000, description="Failed logins per client …")
    login_lockout_minutes: int = Field(15, ge=1, le=1440, description="… within this time")
    readers: list[ReaderSettings] = Field(
        default_factory=list, description="Named readers, each with a token of its own"
    )
    metrics_public: bool = Field(
        False, description="/metrics without the token (it needs it whenever one is set)"
    )

    @field_validator("readers")
    @classmethod
    def _readers(cls, value: list[ReaderSettings]) -> list[ReaderSettings]:
        names = [r.name for r in value]
        dupes = sorted({n for n in names if names.count(n) > 1} | ({"default"} & set(names)))
        if dupes:
            raise ValueError(
                f"reader names must be unique and not 'default' (the token reader): {dupes}"
            )
        return value

    def reader_tokens(self, env: Mapping[str, str]) -> dict[str, str]:
        """Reader name → token, read from each reader's ``token_env`` (or ``token_env_FILE``);
        a missing or empty one is a configuration error."""
        out: dict[str, str] = {}
        problems = []
        for i, reader in enumerate(self.readers):
            value = env.get(reader.token_env) or ""
            path = env.get(reader.token_env + "_FILE")
            if not value and path:
                try:
                    value = Path(path).read_text(encoding="utf-8").rstrip("\n")
                except OSError as exc:
                    value = ""
                    problems.append(
                        ConfigProblem(
                            f"environment {reader.token_env}_FILE",
                            f"web.readers.{i}.token_env",
                            f"cannot read {path}: {exc.strerror or exc}",
                        )
                    )
                    continue
            if not value:
                problems.append(
                    ConfigProblem(
                        f"environment {reader.token_env}",
                        f"web.readers.{i}.token_env",
                        f"reader {reader.name!r} has no token: set {reader.token_env}",
                    )
                )
            out[reader.name] = value
        if problems:
            raise ConfigError(problems)
        return out

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return _check_base_url(value)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for name in value:
            host = name.strip().lower().rstrip(".")
            if host.startswith("[") and host.endswith("]"):
                host = host[1:-1]
            if not host or any(ch in host for ch in "/@ ") or (":" in host and host.count(":") < 2):
                raise ValueError(
                    f"{name!r} is not a host name (give names such as monitor.example.org, "
                    "without scheme or port)"
                )
            out.append(host)
        return tuple(out)


class ScheduleSettings(_Model):
    timezone: str = "UTC"
    crawl_every_minutes: int = Field(5, ge=1, description="How often due sources are looked for")
    upkeep_cron: str = Field("30 3 * * *", description="crontab line for retention and optimise")
    misfire_grace_s: int = Field(3600, ge=1)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("upkeep_cron")
    @classmethod
    def _upkeep_cron(cls, value: str) -> str:
        parse_crontab(value)
        return value


class QueueSettings(_Model):
    """The shared crawl frontier (Redis) that ``monitor worker`` processes pull sources from."""

    url: str | None = Field(
        None,
        description="redis://HOST:6379/0: workers crawl; null: `monitor run` crawls by itself",
    )
    key_prefix: str = Field("monitor", min_length=1, description="Prefix of every Redis key")
    visibility_timeout_s: int = Field(
        300, ge=5, le=86_400, description="A dead worker's sources return after this long"
    )
    batch_sources: int = Field(25, ge=1, le=1000, description="Sources a worker crawls at once")
    standby_poll_s: float = Field(
        5.0, gt=0, le=20, description="How often a standby scheduler tries to become the leader"
    )
    drain_s: float = Field(
        60.0, ge=0, description="On SIGTERM a worker's crawl gets this long to finish"
    )
    max_deliveries: int = Field(
        3,
        ge=1,
        le=100,
        description="A source taken this many times without its crawl finishing (its crawl "
        "process died each time) is set aside for a day; `monitor status` lists it",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                "expected a Redis URL such as redis://127.0.0.1:6379/0 (or rediss://, unix://)"
            )
        return value

    @property
    def enabled(self) -> bool:
        return self.url is not None


class RetentionSettings(_Model):
    irrelevant_days: int | None = Field(
        None, ge=1, description="Delete irrelevant items older than this"
    )


class Settings(_Model):
    """Everything in ``monitor.yaml``."""

    database_url: str | None = Field(None, description="null = SQLite file in data_dir")
    data_dir: str = Field("./data", description="Archive, digests and logs (relative to the CWD)")
    outbox_dir: str = Field("./outbox", description="Digest pages and .eml files")
    topic: str = Field("topics/iran-russia.yaml", description="Topic file, relative to config dir")
    crawl: CrawlSettings = CrawlSettings()
    relevance: RelevanceSettings = RelevanceSettings()
    dedup: DedupSettings = DedupSettings()
    digest: DigestSettings = DigestSettings()
    smtp: SmtpSettings = SmtpSettings()
    recipients: list[RecipientConfig] = Field(default_factory=list)
    alerts: AlertSettings = AlertSettings()
    apprise: AppriseSettings = AppriseSettings()
    web: WebSettings = WebSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    retention: RetentionSettings = RetentionSettings()
    queue: QueueSettings = QueueSettings()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        from monitor.database_url import check_database_url

        return None if value in (None, "") else check_database_url(value)

    @model_validator(mode="after")
    def _unique_recipients(self) -> Settings:
        names = [r.name for r in self.recipients]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate recipient names: {', '.join(dupes)}")
        return self


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class AppConfig:
    """The loaded configuration: settings, sources and where they came from."""

    config_dir: Path
    settings: Settings
    sources: list[SourceConfig] = field(default_factory=list)
    origins: dict[str, str] = field(
        default_factory=dict
    )  # dotted key → default | FILE:LINE | env VAR

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir).expanduser()

    @property
    def outbox_dir(self) -> Path:
        return Path(self.settings.outbox_dir).expanduser()

    @property
    def database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        return f"sqlite:///{(self.data_dir / 'archive.db').resolve()}"

    @property
    def topic_path(self) -> Path:
        return self.config_dir / self.settings.topic

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)

    @property
    def outlets_path(self) -> Path:
        """``outlets.yaml`` in the config directory, else the shipped one."""
        own = self.config_dir / OUTLETS_FILE
        return own if own.exists() else shipped_config_dir() / OUTLETS_FILE

    @functools.cached_property
    def outlets(self) -> Outlets:
        """The outlet names and agency credits (read once; ConfigError if invalid)."""
        return load_outlets(self.outlets_path)


def resolve_config_dir(
    explicit: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("MONITOR_CONFIG_DIR"):
        return Path(env["MONITOR_CONFIG_DIR"])
    local = Path("config")
    if (local / "monitor.yaml").is_file():
        return local
    return shipped_config_dir()


# libyaml's safe loader when PyYAML was built with it (the topic is read on every crawl and
# digest): the same documents, ten times faster than the pure-Python one
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors become a ConfigError with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(str(path), "", f"not UTF-8 text ({exc.reason})")]
        ) from None
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 (a safe loader, C or Python)
    except yaml.YAMLError:
        pass  # read again by the pure-Python loader, whose messages the problem reports quote
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(str(path), where, f"invalid YAML: {problem}")]) from None


def problems_from_validation(path: Path | str, exc: ValidationError) -> list[ConfigProblem]:
    out = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check spelling; see README 'Configuration')"
        out.append(ConfigProblem(str(path), key, msg))
    return out


def load_settings_and_origins(
    config_dir: Path, env: Mapping[str, str] | None = None
) -> tuple[Settings, dict[str, str]]:
    """The settings (file, then environment: :mod:`monitor.settings_sources`) and, per dotted
    key, where its value came from."""
    env = os.environ if env is None else env
    path = config_dir / "monitor.yaml"
    text = None
    raw: Any = {}
    if path.exists():
        raw = read_yaml(path)
        text = path.read_text(encoding="utf-8")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([ConfigProblem(str(path), "", "top level must be a mapping of settings")])
    sources.check_no_secrets_in_file(raw, path)
    values = sources.env_values(Settings, env)
    raw = sources.merge(raw, values)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(sources.relabel(problems_from_validation(path, exc), values)) from None
    return settings, sources.origins(Settings, path, text, values)


def load_settings(config_dir: Path, env: Mapping[str, str] | None = None) -> Settings:
    return load_settings_and_origins(config_dir, env)[0]


def load_sources_file(path: Path) -> list[SourceConfig]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or "sources" not in raw:
        raise ConfigError(
            [ConfigProblem(str(path), "sources", "expected a top-level 'sources:' list")]
        )
    try:
        return SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        problems = problems_from_validation(path, exc)
        # name the source, not only its index, so the user finds it in a long file
        items = raw.get("sources") or []
        named = []
        for p in problems:
            parts = p.key.split(".")
            if len(parts) >= 2 and parts[0] == "sources" and parts[1].isdigit():
                idx = int(parts[1])
                if idx < len(items) and isinstance(items[idx], dict) and items[idx].get("name"):
                    p = ConfigProblem(p.file, f"{p.key} ({items[idx]['name']})", p.message)
            named.append(p)
        raise ConfigError(named) from None


def load_outlets(path: Path) -> Outlets:
    """Read and validate an ``outlets.yaml``."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(
            [ConfigProblem(str(path), "", "expected the keys 'names' and 'agencies'")]
        )
    try:
        parsed = OutletsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(path, exc)) from None
    return Outlets.of(parsed.names, parsed.agencies)


@functools.cache
def shipped_outlets() -> Outlets:
    """The shipped ``outlets.yaml`` (for tools and tests that run without a config directory)."""
    return load_outlets(shipped_config_dir() / OUTLETS_FILE)


def load_config(
    config_dir: str | Path | None = None, env: Mapping[str, str] | None = None
) -> AppConfig:
    """Load and validate ``monitor.yaml`` and ``sources.yaml`` from the config directory."""
    cdir = resolve_config_dir(config_dir, env)
    if not cdir.is_dir():
        raise ConfigError([ConfigProblem(str(cdir), "", "config directory not found")])
    settings, origins = load_settings_and_origins(cdir, env)
    sources_path = cdir / "sources.yaml"
    source_list = load_sources_file(sources_path) if sources_path.exists() else []
    return AppConfig(config_dir=cdir, settings=settings, sources=source_list, origins=origins)
