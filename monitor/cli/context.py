"""What every command needs: the configuration, the archive and the consoles, made on first use.

Nothing here is imported before a command asks for it, so ``monitor --help`` loads neither the
configuration models nor the database and migration code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.config import AppConfig
    from monitor.db.engine import Database


@dataclass
class AppContext:
    config_dir: str | None = None
    _config: AppConfig | None = None
    _db: Database | None = None

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console()

    @cached_property
    def err_console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True)

    @property
    def config(self) -> AppConfig:
        if self._config is None:
            from monitor.config import load_config

            self._config = load_config(self.config_dir)
        return self._config

    @property
    def db(self) -> Database:
        """The archive, migrated on first use; sources are imported into a new archive."""
        if self._db is None:
            from monitor.db.engine import Database
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
