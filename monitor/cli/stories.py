"""``monitor dedup rebuild`` and ``monitor stories list | show ID | split ID ITEM…``."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from monitor.cli.context import AppContext, pass_app
from monitor.db.read.stories import list_stories, story_detail
from monitor.dedup import service
from monitor.dedup.vocabulary import CopyVocabulary


def _fmt_sim(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@click.group("dedup")
def dedup_group() -> None:
    """Near-duplicate index and story folding."""


@dedup_group.command("rebuild")
@pass_app
def rebuild_cmd(app: AppContext) -> None:
    """Re-fold every relevant item into stories (manual splits are kept)."""
    result = service.rebuild(
        app.db, app.config.settings.dedup, vocabulary=CopyVocabulary.configured(app.config)
    )
    stats = result.stats
    merged = stats["fold/merged"]
    app.console.print(
        f"Rebuilt stories from {result.items} items: {stats['fold/new_story'] - merged} stories, "
        f"{stats['fold/copies']} copies folded, {stats['fold/related']} related reports"
        + (f", {merged} merges of stories one item linked." if merged else ".")
    )


@click.group("stories")
def stories_group() -> None:
    """Stories: a lead item, its copies and related reports."""


@stories_group.command("list")
@click.option("--limit", default=30, show_default=True, help="Most recent stories shown.")
@click.option(
    "--min-items", default=1, show_default=True, help="Only stories with this many items."
)
@pass_app
def list_cmd(app: AppContext, limit: int, min_items: int) -> None:
    """The most recently updated stories."""
    with app.db.session() as session:
        rows = list_stories(session, limit=limit, min_items=min_items)
    table = Table(title="Stories")
    for col in ("ID", "Last item", "Items", "Sources", "Lead", "Title"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            str(s.id),
            s.last_item_at.strftime("%Y-%m-%d %H:%M"),
            str(s.item_count),
            str(s.source_count),
            str(s.lead_item_id or ""),
            escape(s.title),
        )
    app.console.print(table)


@stories_group.command("show")
@click.argument("story_id", type=int)
@pass_app
def show_cmd(app: AppContext, story_id: int) -> None:
    """A story's lead, copies (signal and similarity) and related reports."""
    with app.db.session() as session:
        s = story_detail(session, story_id)
    if s is None:
        raise service.StoryNotFoundError(
            f"stories: no story {story_id} (see `monitor stories list`)"
        )
    app.console.print(
        f"[bold]Story {s.id}[/bold]: {escape(s.title)}\n"
        f"{s.item_count} items from {s.source_count} sources, "
        f"{s.first_seen_at:%Y-%m-%d %H:%M} – {s.last_item_at:%Y-%m-%d %H:%M} UTC"
    )
    order = {"lead": 0, "copy": 1, "related": 2}
    table = Table()
    for col in ("Item", "Role", "Signal", "Similarity", "Matched", "Source", "Lang", "Title"):
        table.add_column(col)
    for m in sorted(s.members, key=lambda m: (order.get(m.role, 3), m.time, m.item.id)):
        table.add_row(
            str(m.item.id),
            m.role,
            m.signal or "",
            _fmt_sim(m.similarity),
            str(m.matched_item_id or ""),
            escape(m.item.source),
            m.item.language or "",
            escape(m.item.title),
        )
    app.console.print(table)
    for e in s.events:
        if e.manual:
            app.console.print(
                f"split: item {e.item_id} moved from story {e.from_story} on {e.at:%Y-%m-%d %H:%M}"
            )


@stories_group.command("split")
@click.argument("story_id", type=int)
@click.argument("item_ids", type=int, nargs=-1, required=True)
@pass_app
def split_cmd(app: AppContext, story_id: int, item_ids: tuple[int, ...]) -> None:
    """Move ITEM_IDS out of STORY_ID into a new story; they are never folded back."""
    new_id = service.split(app.db, story_id, list(item_ids))
    app.console.print(f"Moved {len(item_ids)} item(s) from story {story_id} into story {new_id}.")
