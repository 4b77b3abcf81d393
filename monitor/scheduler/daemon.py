"""The scheduler daemon behind ``monitor run``.

An APScheduler 3 ``BackgroundScheduler`` (in-memory job store, thread pool) holds one job per
schedule: ``crawl`` (interval, first run at start-up), ``digest:<recipient>`` (cron trigger from
the recipient's schedule and time zone; for configured recipients and for saved searches
subscribed to a digest, ``digest:search:NAME``, whose jobs follow the archive: every tick adds,
changes or removes them as subscriptions come and go) and ``upkeep`` (``schedule.upkeep_cron``). Every job has
``max_instances=1`` and ``coalesce=True``; each one spawns a one-shot ``monitor`` command as a
supervised child (see :mod:`monitor.scheduler.jobs`). The main thread handles signals, checks
every ``tick`` whether a digest or upkeep run is owed (and starts it at once if so), and polls the
configuration file.

Why the schedule is derived from stored state instead of APScheduler's SQLAlchemyJobStore: a job
store pickles callables and trigger state, which breaks across upgrades and goes stale when the
configuration changes (jobs are re-created from config anyway); and it records when a job was
*scheduled*, not whether the work was done. Here the database records the work itself
(``recipient_state.last_due_at``, claimed by compare-and-set before the digest child starts, and
the ``due_at`` of upkeep job runs), so after any stop the daemon knows exactly which due times
were handled: a digest whose due time passed while the daemon was down is sent once at start-up
(within ``schedule.misfire_grace_s``; later than that it is skipped and its items ride with the
next digest), never twice. Crawls need no memory: sources carry their own next due time.

The main loop also records a heartbeat on the daemon's ``job_runs`` row (``detail.heartbeat_at``,
every :func:`heartbeat_interval_s`: each tick, at most every 10 s), which the web app's
``/healthz`` and ``/metrics`` read to tell whether a scheduler is alive.

Signals: SIGTERM/SIGINT stop taking new jobs; a running crawl child is terminated at once (it
closes its run cleanly on SIGTERM), a digest or upkeep child gets ``stop_wait_s`` to finish before
it is terminated; then the daemon exits 0. SIGHUP, or a changed ``monitor.yaml``/``sources.yaml``
(polled by modification time), reloads the configuration and re-creates the jobs; an invalid new
configuration is logged and the old one kept.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import AppConfig, RecipientConfig, load_config
from monitor.db import jobs as q
from monitor.db.engine import Database
from monitor.db.models import JobRun
from monitor.errors import MonitorError
from monitor.scheduler.jobs import (
    CRAWL_JOB,
    DIGEST_PREFIX,
    UPKEEP_JOB,
    JobRunner,
    RunOptions,
    digest_job_id,
)
from monitor.scheduler.leader import Leadership
from monitor.schedules import parse_crontab, parse_schedule

log = logging.getLogger(__name__)


HEARTBEAT_MIN_S = 10.0


def heartbeat_interval_s(tick_s: float) -> float:
    """How often the daemon records its heartbeat: every tick, but no more than every 10 s."""
    return max(tick_s, HEARTBEAT_MIN_S)


class SchedulerError(MonitorError):
    """The daemon cannot start (another one runs, bad schedule)."""


def _config_mtimes(config: AppConfig) -> dict[str, float]:
    out = {}
    for name in ("monitor.yaml", "sources.yaml"):
        path = Path(config.config_dir) / name
        try:
            out[name] = path.stat().st_mtime
        except OSError:
            out[name] = 0.0
    return out


def restart_reason(old: AppConfig, new: AppConfig) -> str | None:
    """Why ``new`` cannot be applied by a reload (None: it can). The leader lock is taken at
    start in the archive the daemon started with: turning the queue on, or moving a queueing
    scheduler to another archive, would leave it queueing without being the elected leader."""
    if not new.settings.queue.enabled:
        return None
    if not old.settings.queue.enabled:
        return "queue.url was set: this scheduler crawled by itself and is not an elected leader"
    if new.database_url != old.database_url:
        return "database_url changed: the leader lock is held in the old archive"
    return None


class Daemon:
    """Owns the scheduler, the job runner and the signal-driven main loop."""

    def __init__(
        self,
        config: AppConfig,
        db: Database,
        options: RunOptions,
        *,
        config_loader: Callable[[], AppConfig] | None = None,
        open_db: Callable[[str], Database] | None = None,
    ) -> None:
        self.options = options
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._reload = threading.Event()
        self._config_loader = config_loader or (lambda: load_config(config.config_dir))
        self._open_db = open_db or Database.open
        self.runner = JobRunner(config, db, options, self.stop)
        self._mtimes = _config_mtimes(config)
        self._daemon_run: int | None = None
        self._digest_jobs: dict[str, tuple[str, str]] = {}  # name → (schedule, time zone)
        self._last_beat: float | None = None
        self.leadership: Leadership | None = None
        self._exit_code = 0
        self.scheduler = BackgroundScheduler(
            timezone=config.settings.schedule.timezone,
            executors={
                "default": ThreadPoolExecutor(
                    max_workers=max(4, len(config.settings.recipients) + 2)
                )
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": config.settings.schedule.misfire_grace_s,
            },
        )

    @property
    def config(self) -> AppConfig:
        return self.runner.config

    # ------------------------------------------------------------------ jobs

    def add_jobs(self, *, first_crawl_now: bool) -> None:
        cfg = self.config
        sched = cfg.settings.schedule
        interval = self.options.crawl_interval_s(cfg)
        crawl_kwargs: dict[str, Any] = {}
        if first_crawl_now:
            crawl_kwargs["next_run_time"] = datetime.now(UTC)
        self.scheduler.add_job(
            self.runner_call(lambda r: r.run_crawl()),
            IntervalTrigger(seconds=interval, timezone=sched.timezone),
            id=CRAWL_JOB,
            name="crawl due sources",
            replace_existing=True,
            **crawl_kwargs,
        )
        self._digest_jobs = {}
        self.sync_digest_jobs()
        self.scheduler.add_job(
            self.runner_call(lambda r: r.run_upkeep()),
            parse_crontab(sched.upkeep_cron).trigger(sched.timezone),
            id=UPKEEP_JOB,
            name="upkeep",
            replace_existing=True,
        )
        log.info(
            "Jobs scheduled crawl_every_s=%s recipients=%d upkeep_cron=%s",
            interval,
            len(self._digest_jobs),
            sched.upkeep_cron,
        )

    def _digest_recipients(self) -> list[RecipientConfig] | None:
        try:
            return self.runner.digest_recipients()
        except SQLAlchemyError as exc:  # the archive is away: keep the jobs as they are
            log.warning("Saved-search subscriptions not read error=%s", exc)
            return None

    def sync_digest_jobs(self) -> tuple[list[str], list[str]]:
        """Make the digest jobs match the digest recipients (configured ones and saved-search
        subscriptions); returns the names whose job was ``(added or changed, removed)``."""
        recipients = self._digest_recipients()
        if recipients is None:
            if self._digest_jobs:
                return [], []
            recipients = list(self.config.settings.recipients)
        added: list[str] = []
        wanted: set[str] = set()
        for recipient in recipients:
            name, key = recipient.name, (recipient.schedule, recipient.timezone)
            try:
                trigger = parse_schedule(recipient.schedule).trigger(recipient.timezone)
            except ValueError as exc:
                log.warning("Digest not scheduled recipient=%s error=%s", name, exc)
                continue
            wanted.add(name)
            if self._digest_jobs.get(name) == key:
                continue
            self.scheduler.add_job(
                self.runner_call(functools.partial(JobRunner.run_digest, name=name)),
                trigger,
                id=digest_job_id(name),
                name=f"digest for {name}",
                replace_existing=True,
            )
            self._digest_jobs[name] = key
            added.append(name)
        removed = [name for name in self._digest_jobs if name not in wanted]
        for name in removed:
            if self.scheduler.get_job(digest_job_id(name)) is not None:
                self.scheduler.remove_job(digest_job_id(name))
            del self._digest_jobs[name]
        if self.scheduler.running and (added or removed):
            log.info("Digest jobs updated added=%s removed=%s", added, removed)
        return added, removed

    def runner_call(self, fn: Callable[[JobRunner], object]) -> Callable[[], None]:
        """A job function that uses the runner current at call time (reloads replace it)."""

        def call() -> None:
            try:
                fn(self.runner)
            except Exception:  # a job must never take the daemon down
                log.exception("Job failed with an unexpected error")

        return call

    def kick_owed(self) -> None:
        """Start digest and upkeep runs that are owed now (start-up catch-up, missed triggers)."""
        for job in self.scheduler.get_jobs():
            if job.id != UPKEEP_JOB and not job.id.startswith(DIGEST_PREFIX):
                continue
            try:
                owed = self.runner.owed(job.id)
            except Exception:
                log.exception("Checking job failed job=%s", job.id)
                continue
            if owed and not self.stop.is_set():
                log.debug("Owed run, starting now job=%s", job.id)
                job.modify(next_run_time=datetime.now(UTC))

    # ------------------------------------------------------------------ reload

    def config_changed(self) -> bool:
        return _config_mtimes(self.config) != self._mtimes

    def reload(self) -> bool:
        """Load the configuration again and re-create the jobs; False when it is invalid."""
        try:
            new = self._config_loader()
            for recipient in new.settings.recipients:
                parse_schedule(recipient.schedule)
        except (MonitorError, ValueError) as exc:
            log.error("Configuration reload failed; keeping the old one: %s", exc)
            self._mtimes = _config_mtimes(self.config)
            return False
        needs_restart = restart_reason(self.config, new)
        if needs_restart:
            log.error(
                "Configuration reload refused; keeping the old one: %s. Restart `monitor run` "
                "to apply it (a standby takes over meanwhile, if one runs)",
                needs_restart,
            )
            self._mtimes = _config_mtimes(self.config)
            return False
        db = self.runner.db
        if new.database_url != self.config.database_url:
            db = self._open_db(new.database_url)
        old = self.runner
        self.runner = JobRunner(new, db, self.options, self.stop)
        self.runner.inherit_backoff(old)
        self._mtimes = _config_mtimes(new)
        # keep the crawl's place in its interval unless the interval changed
        crawl = self.scheduler.get_job(CRAWL_JOB)
        keep = None
        if crawl is not None and (
            crawl.trigger.interval.total_seconds() == self.options.crawl_interval_s(new)
        ):
            keep = crawl.next_run_time
        for job in self.scheduler.get_jobs():
            job.remove()
        self.add_jobs(first_crawl_now=False)
        if keep is not None:
            self.scheduler.modify_job(CRAWL_JOB, next_run_time=keep)
        log.info("Configuration reloaded config_dir=%s", new.config_dir)
        return True

    # ------------------------------------------------------------------ lifecycle

    def _register_daemon(self) -> None:
        ident = self.runner.identity
        now = self.runner.clock()

        def alive(run: JobRun) -> bool:
            d = run.detail or {}
            if d.get("host") not in (None, ident["host"]):
                # another machine's daemon: not ours to judge, unless we hold the leader lock
                # (then it is gone: a live leader would hold the lock)
                return self.leadership is None
            return q.pid_alive(d.get("daemon_pid") or d.get("pid"), d.get("daemon_ticks"))

        with self.runner.db.session() as session:
            for other in q.running_daemons(session):
                if alive(other):
                    d = other.detail or {}
                    raise SchedulerError(
                        f"scheduler: another 'monitor run' is active (pid {d.get('daemon_pid')} on "
                        f"{d.get('host')}, since {other.started_at:%Y-%m-%d %H:%M} UTC). "
                        "Stop it first; two daemons would crawl and send twice."
                    )
            closed = q.close_orphaned_job_runs(session, now, alive)
            if closed:
                log.warning("Closed job runs left by a stopped daemon count=%d", closed)
            self._daemon_run = q.start_job_run(
                session,
                "daemon",
                now,
                {
                    **ident,
                    "config_dir": str(self.config.config_dir),
                    "heartbeat_s": heartbeat_interval_s(self.options.tick_s),
                    "heartbeat_at": datetime.now(UTC).isoformat(),
                },
            )

    def beat(self) -> None:
        """Show the daemon is alive (``/healthz`` and ``/metrics`` read it): the wall-clock time,
        whatever clock the jobs run on; at most once per :func:`heartbeat_interval_s`."""
        now = time.monotonic()
        due = self._last_beat is None or now - self._last_beat >= heartbeat_interval_s(
            self.options.tick_s
        )
        if self._daemon_run is None or not due:
            return
        with self.runner.db.session() as session:
            q.beat_job_run(session, self._daemon_run, datetime.now(UTC))
        self._last_beat = now

    def _unregister_daemon(self, status: str) -> None:
        if self._daemon_run is None:
            return
        with self.runner.db.session() as session:
            q.finish_job_run(session, self._daemon_run, status, self.runner.clock(), {})

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self._reload.set()
        else:
            self.stop.set()  # no logging here: handlers must not take the logging lock
        self._wake.set()

    def install_signal_handlers(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    def tick(self) -> None:
        if self.leadership is not None and not self.leadership.still_held():
            log.error("Leadership lost (the archive connection broke); stopping, exit code 1")
            self._exit_code = 1
            self.request_stop()
            return
        try:
            self.beat()
        except Exception:  # a busy archive must not stop the schedule
            log.warning("Heartbeat not recorded", exc_info=True)
        if self._reload.is_set() or self.config_changed():
            self._reload.clear()
            self.reload()
        self.sync_digest_jobs()
        self.kick_owed()

    def run(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT (or :meth:`request_stop`); returns the exit code (0; 1 when
        a leader lost its lock). With ``queue.url`` it first waits to be elected leader."""
        previous = self.install_signal_handlers() if install_signals else {}
        try:
            if not self._elect():
                return 0
            self._register_daemon()
            try:
                self._loop()
            finally:
                if self.scheduler.running:
                    self.stop.set()
                    self.scheduler.shutdown(wait=True)
                self._unregister_daemon("ok")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.leadership is not None:
                self.leadership.release()
        return self._exit_code

    def _elect(self) -> bool:
        """With ``queue.url``: wait until this daemon leads (False: stopped while waiting)."""
        queue = self.config.settings.queue
        if not queue.enabled:
            return True
        self.leadership = Leadership(self.config.database_url)
        if not self.leadership.wait(self.stop, queue.standby_poll_s):
            log.info("Standby stopped before it led")
            return False
        log.info("Leading: this scheduler queues due sources for the workers pid=%d", os.getpid())
        return True

    def _loop(self) -> None:
        self.add_jobs(first_crawl_now=True)
        self.scheduler.start()
        log.info("Scheduler started pid=%d config_dir=%s", os.getpid(), self.config.config_dir)
        while not self.stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("Scheduler tick failed")
            self._wake.wait(self.options.tick_s)
            self._wake.clear()
        log.info("Stopping: no new jobs; waiting for running jobs to end")
        self.scheduler.shutdown(wait=True)
        log.info("Scheduler stopped")

    def request_stop(self) -> None:
        self.stop.set()
        self._wake.set()

    # ------------------------------------------------------------------ status

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}


def options_with_child_args(options: RunOptions, log_format: str, verbose: int) -> RunOptions:
    """Pass the daemon's log format and verbosity on to its children."""
    args = ["--log-format", log_format]
    if verbose:
        args.append("-" + "v" * min(verbose, 2))
    return replace(options, child_args=tuple(args))
