"""The crawl frontier on a Redis stream with a consumer group (Redis 6.2+).

Keys, all under ``queue.key_prefix`` (``monitor`` by default):

- ``PREFIX:frontier`` — the stream; one entry per due source per cycle (``source_id``, ``name``,
  ``cycle``);
- ``PREFIX:queued:SOURCE_ID`` — the source's entry waiting or in flight (value: the cycle). The
  scheduler adds an entry only when it can set this key (``SET NX``, in the same script as the
  ``XADD``), so a source is queued once however often the scheduler looks; the worker deletes it
  when it acknowledges the entry. It expires after :data:`QUEUED_TTL_S` in case the stream itself
  was lost.

Consumer group ``workers``: :meth:`Frontier.take` first reclaims entries whose worker has not
renewed them for ``queue.visibility_timeout_s`` (``XAUTOCLAIM``: a worker killed with SIGKILL, a
machine gone), then reads new ones (``XREADGROUP``). While it crawls, a worker renews its entries
(:meth:`Frontier.renew`, an ``XCLAIM`` of its own entries that resets their idle time), so a long
crawl is not taken over. :meth:`Frontier.done` acknowledges and deletes an entry once its source's
outcome is committed to the archive; :meth:`Frontier.give_back` makes entries claimable at once
(a worker stopping before it reached them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.config import QueueSettings
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

GROUP = "workers"
QUEUED_TTL_S = 86_400

# KEYS: queued marker, stream. ARGV: cycle, ttl, source id, source name.
_ENQUEUE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[2], '*', 'source_id', ARGV[3], 'name', ARGV[4], 'cycle', ARGV[1])
end
return false
"""

# KEYS: stream. ARGV: group, consumer, entry ids. Renews the entries this consumer still owns and
# returns their ids (an entry reclaimed by another worker meanwhile is left to it).
_RENEW = """
local mine = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    table.insert(mine, ARGV[i])
  end
end
return mine
"""


class FrontierError(MonitorError):
    """The frontier (Redis) cannot be reached or used."""


@dataclass(frozen=True, slots=True)
class Taken:
    """One entry a worker took: the source to crawl, and the cycle that queued it."""

    entry_id: str
    source_id: int
    name: str
    cycle: str
    reclaimed: bool = False  # taken over from a worker that stopped renewing it

    @property
    def queued_at(self) -> datetime:
        """When the scheduler queued it (a stream entry id starts with its time in ms)."""
        return datetime.fromtimestamp(int(self.entry_id.split("-", 1)[0]) / 1000, UTC)


@dataclass(frozen=True, slots=True)
class FrontierStats:
    length: int  # entries in the stream (waiting and in flight)
    pending: int  # taken by a worker, not yet acknowledged
    consumers: int


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Frontier:
    def __init__(self, client: Redis, settings: QueueSettings) -> None:
        self.client = client
        self.settings = settings
        self.stream = f"{settings.key_prefix}:frontier"
        self._enqueue = client.register_script(_ENQUEUE)
        self._renew = client.register_script(_RENEW)
        self._group_ready = False

    @property
    def visibility_ms(self) -> int:
        return int(self.settings.visibility_timeout_s * 1000)

    def queued_key(self, source_id: int) -> str:
        return f"{self.settings.key_prefix}:queued:{source_id}"

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless it exists; idempotent."""
        if self._group_ready:
            return
        from redis.exceptions import ResponseError

        try:
            self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    # ------------------------------------------------------------------ the scheduler's side

    def enqueue(self, cycle: str, sources: Iterable[tuple[int, str]]) -> tuple[int, int]:
        """Queue each ``(source id, name)`` unless it is queued already; returns
        ``(added, already queued)``."""
        self.ensure_group()
        added = already = 0
        for source_id, name in sources:
            entry = self._enqueue(
                keys=[self.queued_key(source_id), self.stream],
                args=[cycle, QUEUED_TTL_S, source_id, name],
            )
            if entry:
                added += 1
            else:
                already += 1
        return added, already

    # ------------------------------------------------------------------ the worker's side

    def take(self, consumer: str, count: int, block_ms: int) -> list[Taken]:
        """Up to ``count`` entries for ``consumer``: abandoned ones first, then new ones (waiting
        up to ``block_ms`` for one when there is nothing to reclaim)."""
        self.ensure_group()
        taken: list[Taken] = []
        reply = self.client.xautoclaim(
            self.stream, GROUP, consumer, self.visibility_ms, start_id="0-0", count=count
        )
        for entry_id, fields in reply[1]:
            if fields:  # an entry deleted meanwhile comes back without fields
                taken.append(self._taken(entry_id, fields, reclaimed=True))
        if len(taken) < count:
            streams: Any = self.client.xreadgroup(
                GROUP,
                consumer,
                {self.stream: ">"},
                count=count - len(taken),
                block=None if taken else max(block_ms, 1),
            )
            for _name, entries in streams or []:
                taken += [self._taken(entry_id, fields) for entry_id, fields in entries]
        return taken

    @staticmethod
    def _taken(entry_id: Any, fields: dict[Any, Any], *, reclaimed: bool = False) -> Taken:
        values = {_text(k): _text(v) for k, v in fields.items()}
        return Taken(
            entry_id=_text(entry_id),
            source_id=int(values.get("source_id", "0")),
            name=values.get("name", ""),
            cycle=values.get("cycle", ""),
            reclaimed=reclaimed,
        )

    def renew(self, consumer: str, taken: Sequence[Taken]) -> list[str]:
        """Reset the idle time of the entries ``consumer`` still owns; returns their ids."""
        if not taken:
            return []
        ids = [t.entry_id for t in taken]
        return [_text(i) for i in self._renew(keys=[self.stream], args=[GROUP, consumer, *ids])]

    def done(self, taken: Sequence[Taken]) -> None:
        """Acknowledge and delete the entries (their sources' outcomes are committed)."""
        if not taken:
            return
        ids = [t.entry_id for t in taken]
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, *ids)
        pipe.xdel(self.stream, *ids)
        pipe.delete(*[self.queued_key(t.source_id) for t in taken])
        pipe.execute()

    def give_back(self, consumer: str, taken: Sequence[Taken]) -> None:
        """Make the entries claimable by any worker now (this one will not crawl them)."""
        if not taken:
            return
        self.client.xclaim(
            self.stream,
            GROUP,
            consumer,
            0,
            [t.entry_id for t in taken],
            idle=self.visibility_ms + 1000,
            justid=True,
        )

    def leave(self, consumer: str) -> None:
        """Remove the consumer from the group when it holds no entry (a clean stop)."""
        pending = self.client.xpending_range(self.stream, GROUP, "-", "+", 1, consumername=consumer)
        if not pending:
            self.client.xgroup_delconsumer(self.stream, GROUP, consumer)

    def stats(self) -> FrontierStats:
        self.ensure_group()
        summary = self.client.xpending(self.stream, GROUP)
        groups = self.client.xinfo_groups(self.stream)
        consumers = next((int(g["consumers"]) for g in groups if _text(g["name"]) == GROUP), 0)
        return FrontierStats(
            length=int(self.client.xlen(self.stream)),
            pending=int(summary["pending"]),
            consumers=consumers,
        )


def open_frontier(settings: QueueSettings) -> Frontier:
    """Connect to ``queue.url``; raises :class:`FrontierError` saying what to do."""
    if not settings.url:
        raise FrontierError("queue: no queue.url configured (set MONITOR_QUEUE__URL=redis://…)")
    try:
        from redis import Redis
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the queue extra is not installed
        raise FrontierError(
            "queue: the Redis client is not installed; pip install 'iran-russia-monitor[queue]'"
        ) from None
    client = Redis.from_url(settings.url, socket_timeout=30, socket_connect_timeout=10)
    try:
        client.ping()
    except RedisError as exc:
        raise FrontierError(
            f"queue: cannot reach Redis at {_safe(settings.url)}: {exc}; start it or fix queue.url"
        ) from None
    return Frontier(client, settings)


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url
