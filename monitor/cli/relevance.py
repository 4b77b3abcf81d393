"""``monitor explain ITEM`` and ``monitor rescore [--dry-run]``."""

from __future__ import annotations

import json

import click

from monitor.cli.context import AppContext, pass_app
from monitor.db.read.items import find_item
from monitor.errors import NotFoundError
from monitor.explanation import (
    Explanation,
    TermCount,
    UnreadableExplanation,
    explanation_to_json,
)
from monitor.relevance import build_matcher
from monitor.relevance.rescore import Change, rescore
from monitor.relevance.stage import judge_text


def _terms_line(entries: tuple[TermCount, ...]) -> str:
    parts = [f"{e.form} ({e.where} ×{e.count}; term {e.term})" for e in entries]
    return "; ".join(parts) if parts else "—"


def format_explanation(header: list[str], exp: Explanation) -> str:
    """A readable account of one decision (plain text; no markup is interpreted)."""
    lines = list(header)
    verdict = "RELEVANT" if exp.relevant else "NOT RELEVANT"
    cmp = "≥" if exp.relevant else "<"
    lines.append(
        f"Decision: {verdict}  score {exp.score} {cmp} threshold {exp.threshold}"
        f"  (topic {exp.topic})"
    )
    if exp.label is not None:
        said = "relevant" if exp.label.rules_said else "not relevant"
        by = f" by {exp.label.reviewer}" if exp.label.reviewer else ""
        lines.append(f"Label: set{by}; the rules said {said}")
    lang = exp.language
    lines.append(f"Language: {lang.code} (declared {lang.declared}; {lang.reason})")
    lines.append("Points:")
    for p in exp.points:
        text = f": {p.text}" if p.text else ""
        lines.append(f"  {p.points:+.2f}  {p.reason} ({p.where}){text}")
    if not exp.points:
        lines.append("  none (the two sides never appear together)")
    if exp.penalties:
        lines.append("Penalties:")
        for pen in exp.penalties:
            extra = ""
            if pen.countries:
                extra = "; countries " + ", ".join(pen.countries)
            if pen.terms:
                extra = "; terms " + ", ".join(pen.terms)
            where = f" ({pen.where})" if pen.where else ""
            lines.append(f"  ×{pen.factor:.2f}  {pen.reason}{where}{extra}")
    if exp.rules:
        lines.append("Rules:")
        for r in exp.rules:
            lines.append(f"  {r.points:+.2f}  {r.kind} rule {r.rule!r}")
    lines.append("Matched terms:")
    for side, entries in exp.sides.items():
        lines.append(f"  {side}: {_terms_line(entries)}")
    lines.append(f"  bilateral: {_terms_line(exp.bilateral)}")
    groups = (("Themes", exp.themes), ("Key figures", exp.figures), ("Entities", exp.entities))
    for label, found in groups:
        if not found:
            lines.append(f"{label}: none")
            continue
        lines.append(f"{label}:")
        for name, evidence in found.items():
            ev = "; ".join(f"{e.form} ({e.where}): {e.snippet}" for e in evidence[:3])
            lines.append(f"  {name}: {ev}")
    return "\n".join(lines)


@click.command("explain")
@click.argument("item_ref", metavar="ITEM")
@click.option(
    "--current", is_flag=True, help="Judge again with the current topic (nothing is stored)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@pass_app
def explain_cmd(app: AppContext, item_ref: str, current: bool, as_json: bool) -> None:
    """Show why ITEM (an id or URL) was kept or dropped: score, matched terms, penalties, themes."""
    with app.db.session() as session:
        detail = find_item(session, item_ref)
    if detail is None:
        raise NotFoundError(f"explain: no item {item_ref!r} (give an item id or its URL)")
    item = detail.record
    stored = detail.explanation
    origin = "stored decision"
    if isinstance(stored, Explanation) and not current:
        exp = stored
    else:
        matcher = build_matcher(app.config)
        exp = judge_text(
            matcher, item.title, detail.summary, item.text, detail.declared_language
        ).explanation
        origin = "judged now with the current topic (not stored)"
        if isinstance(stored, UnreadableExplanation) and not current:
            origin += f"; the stored one is unreadable: {stored.advice}"
    header = [
        f"Item {item.id}: {item.title}",
        f"  {item.url}",
        f"  source: {item.source}; {origin}",
    ]
    if as_json:
        click.echo(
            json.dumps(
                {"item": item.id, "origin": origin, **explanation_to_json(exp)},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(format_explanation(header, exp))


def _change_line(c: Change) -> str:
    old = "—" if c.old_score is None else f"{c.old_score:.2f}"
    sign = "+" if c.new_relevant else "-"
    return f"  {sign} {c.item_id:>7}  {old:>6} → {c.new_score:<6.2f} {c.title[:90]}"


@click.command("rescore")
@click.option(
    "--dry-run", is_flag=True, help="List items that would enter or leave; write nothing."
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--limit", "show", default=50, show_default=True, help="Changes listed per direction."
)
@pass_app
def rescore_cmd(app: AppContext, dry_run: bool, batch_size: int, show: int) -> None:
    """Judge the whole archive again with the current topic (after editing terms or rules)."""
    matcher = build_matcher(app.config)
    fold = None
    if not dry_run:
        from monitor.dedup import build_fold_stage

        fold = build_fold_stage(app.config)
    summary = rescore(app.db, matcher, dry_run=dry_run, batch_size=batch_size, fold_stage=fold)
    verb = "would enter" if dry_run else "entered"
    verb_out = "would leave" if dry_run else "left"
    click.echo(
        f"{'Dry run: ' if dry_run else ''}{summary.total} items judged, {summary.relevant} relevant; "
        f"{len(summary.entered)} {verb}, {len(summary.left)} {verb_out} the relevant set"
        f" (threshold {matcher.threshold})."
    )
    for label, changes in ((verb, summary.entered), (verb_out, summary.left)):
        if changes:
            click.echo(f"{label.capitalize()}:")
            for c in changes[:show]:
                click.echo(_change_line(c))
            if len(changes) > show:
                click.echo(f"  … and {len(changes) - show} more")
    if summary.conflicts:
        click.echo(f"Label conflicts (the label wins): {len(summary.conflicts)}")
        for conflict in summary.conflicts[:show]:
            said = "relevant" if conflict.label_relevant else "not relevant"
            click.echo(
                f"  {conflict.item_id:>7}  labelled {said}, rules score {conflict.rule_score:.2f}  {conflict.title[:80]}"
            )
    if dry_run:
        click.echo("Nothing was written. Run `monitor rescore` to apply.")
