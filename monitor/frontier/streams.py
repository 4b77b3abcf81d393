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

A source whose crawl keeps killing the crawl process (a poisonous page, a parser crash) would come
back after every visibility timeout and take a worker down each time. Each entry's delivery count
says how often a worker took it: :meth:`Frontier.take` sets an entry aside once it has been taken
``queue.max_deliveries`` times without being acknowledged (acknowledged and deleted from the
stream, recorded under ``PREFIX:set-aside:SOURCE_ID`` for :data:`SET_ASIDE_TTL_S`, during which
the scheduler does not queue the source again). ``monitor status`` lists what is set aside;
:meth:`Frontier.release` (``monitor worker --release``) clears it at once. A give-back (a worker
draining on SIGTERM) does not count as a delivery.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.config import QueueSettings
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

GROUP = "workers"
QUEUED_TTL_S = 86_400
SET_ASIDE_TTL_S = 86_400

# KEYS: queued marker, stream, set-aside marker. ARGV: cycle, ttl, source id, source name.
# Returns the new entry's id, 0 when the source is queued already, -1 when it is set aside.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[3]) == 1 then
  return -1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[2], '*', 'source_id', ARGV[3], 'name', ARGV[4], 'cycle', ARGV[1])
end
return 0
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
    deliveries: int = 1  # how often a worker took it (this time included)

    @property
    def queued_at(self) -> datetime:
        """When the scheduler queued it (a stream entry id starts with its time in ms)."""
        return datetime.fromtimestamp(int(self.entry_id.split("-", 1)[0]) / 1000, UTC)


@dataclass(frozen=True, slots=True)
class Enqueued:
    """What one :meth:`Frontier.enqueue` did."""

    added: int
    already: int  # queued or in flight from an earlier cycle
    set_aside: int  # set aside after killing crawl processes (not queued)


@dataclass(frozen=True, slots=True)
class SetAside:
    """A source set aside: taken ``deliveries`` times, its crawl never finished."""

    source_id: int
    name: str
    cycle: str
    deliveries: int
    at: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class FrontierStats:
    length: int  # entries in the stream (waiting and in flight)
    pending: int  # taken by a worker, not yet acknowledged
    consumers: int
    set_aside: tuple[SetAside, ...] = ()


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

    def set_aside_key(self, source_id: int) -> str:
        return f"{self.settings.key_prefix}:set-aside:{source_id}"

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

    def enqueue(self, cycle: str, sources: Iterable[tuple[int, str]]) -> Enqueued:
        """Queue each ``(source id, name)`` unless it is queued already or set aside."""
        self.ensure_group()
        added = already = set_aside = 0
        for source_id, name in sources:
            entry = self._enqueue(
                keys=[self.queued_key(source_id), self.stream, self.set_aside_key(source_id)],
                args=[cycle, QUEUED_TTL_S, source_id, name],
            )
            if entry == -1:
                set_aside += 1
            elif entry:
                added += 1
            else:
                already += 1
        return Enqueued(added, already, set_aside)

    # ------------------------------------------------------------------ the worker's side

    def take(self, consumer: str, count: int, block_ms: int) -> list[Taken]:
        """Up to ``count`` entries for ``consumer``: abandoned ones first, then new ones (waiting
        up to ``block_ms`` for one when there is nothing to reclaim)."""
        self.ensure_group()
        taken: list[Taken] = []
        reply = self.client.xautoclaim(
            self.stream, GROUP, consumer, self.visibility_ms, start_id="0-0", count=count
        )
        reclaimed = [
            self._taken(entry_id, fields, reclaimed=True)
            for entry_id, fields in reply[1]
            if fields  # an entry deleted meanwhile comes back without fields
        ]
        if reclaimed:
            reclaimed = self._with_deliveries(reclaimed)
            poisonous = [t for t in reclaimed if t.deliveries > self.settings.max_deliveries]
            self._set_aside(poisonous)
            taken = [t for t in reclaimed if t not in poisonous]
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

    def _with_deliveries(self, taken: Sequence[Taken]) -> list[Taken]:
        """``taken`` with each entry's delivery count (``XPENDING``)."""
        pipe = self.client.pipeline(transaction=False)
        for t in taken:
            pipe.xpending_range(self.stream, GROUP, t.entry_id, t.entry_id, 1)
        out = []
        for t, rows in zip(taken, pipe.execute(), strict=True):
            count = int(rows[0]["times_delivered"]) if rows else t.deliveries
            out.append(replace(t, deliveries=count))
        return out

    def _set_aside(self, taken: Sequence[Taken]) -> None:
        """Take the entries out of the stream and keep the sources out for a while."""
        if not taken:
            return
        now = datetime.now(UTC)
        pipe = self.client.pipeline(transaction=True)
        for t in taken:
            record = {
                "name": t.name,
                "cycle": t.cycle,
                "deliveries": t.deliveries - 1,  # the take that found it over the limit: none
                "at": now.isoformat(),
            }
            pipe.set(self.set_aside_key(t.source_id), json.dumps(record), ex=SET_ASIDE_TTL_S)
            pipe.xack(self.stream, GROUP, t.entry_id)
            pipe.xdel(self.stream, t.entry_id)
            pipe.delete(self.queued_key(t.source_id))
        pipe.execute()
        for t in taken:
            log.error(
                "Source set aside source=%s source_id=%d cycle=%s: taken %d times, its crawl "
                "process died each time; not queued again for %d h. Look at the workers' logs "
                "for the crash, fix or disable the source, then `monitor worker --release %d`",
                t.name,
                t.source_id,
                t.cycle,
                t.deliveries - 1,
                SET_ASIDE_TTL_S // 3600,
                t.source_id,
            )

    def set_aside(self) -> list[SetAside]:
        """The sources set aside now, by source id."""
        out = []
        for key in self.client.scan_iter(match=f"{self.settings.key_prefix}:set-aside:*"):
            raw, ttl = self.client.get(key), self.client.ttl(key)
            if raw is None:
                continue
            record = json.loads(raw)
            at = datetime.fromisoformat(record["at"])
            now = datetime.now(UTC)
            out.append(
                SetAside(
                    source_id=int(_text(key).rsplit(":", 1)[1]),
                    name=str(record.get("name", "")),
                    cycle=str(record.get("cycle", "")),
                    deliveries=int(record.get("deliveries", 0)),
                    at=at,
                    until=now + timedelta(seconds=max(int(ttl), 0)),
                )
            )
        return sorted(out, key=lambda s: s.source_id)

    def release(self, source_ids: Iterable[int]) -> int:
        """Let set-aside sources be queued again at the next cycle; returns how many were."""
        keys = [self.set_aside_key(i) for i in source_ids]
        return int(self.client.delete(*keys)) if keys else 0

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
        by_count: dict[int, list[Any]] = {}
        for t in taken:
            by_count.setdefault(t.deliveries, []).append(t.entry_id)
        for deliveries, ids in by_count.items():
            # the next take counts again the delivery this worker did not use
            self.client.xclaim(
                self.stream,
                GROUP,
                consumer,
                0,
                ids,
                idle=self.visibility_ms + 1000,
                retrycount=max(deliveries - 1, 0),
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
            set_aside=tuple(self.set_aside()),
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
