"""What every command needs: the configuration and the archive, opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field

import click
from rich.console import Console

from monitor.config import AppConfig, load_config
from monitor.db.engine import Database


@dataclass
class AppContext:
    config_dir: str | None = None
    console: Console = field(default_factory=Console)
    err_console: Console = field(default_factory=lambda: Console(stderr=True))
    _config: AppConfig | None = None
    _db: Database | None = None

    @property
    def config(self) -> AppConfig:
        if self._config is None:
            self._config = load_config(self.config_dir)
        return self._config

    @property
    def db(self) -> Database:
        """The archive, migrated on first use; sources are imported into a new archive."""
        if self._db is None:
            from monitor.db.sources import seed_sources_if_empty

            self._db = Database.open(self.config.database_url)
            with self._db.session() as session:
                seed_sources_if_empty(session, self.config.sources)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_app = click.make_pass_decorator(AppContext)


def did_you_mean(value: str, known: set[str]) -> str:
    """``"; did you mean 'X'?"`` for close spellings of ``value`` among ``known``, else ``""``."""
    import difflib

    by_fold = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(value.casefold(), sorted(by_fold), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(by_fold[c]) for c in close)}?" if close else ""
