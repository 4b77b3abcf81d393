"""``monitor label …`` (reviewer labels) and ``monitor eval`` (the topic against the labels)."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict

import click
from rich.markup import escape
from rich.table import Table

from monitor.cli.context import AppContext, pass_app
from monitor.db.labels import list_labels
from monitor.feedback.apply import label_pair, label_relevance
from monitor.feedback.evaluate import EvalReport, evaluate_labels
from monitor.relevance import build_matcher

REVIEWER = click.option(
    "--reviewer",
    default=lambda: getpass.getuser(),
    show_default="your login name",
    help="Who gives the label (stored with it).",
)


@click.group("label")
def label_group() -> None:
    """Mark items relevant or not, and pairs of items as the same story or not.

    A label wins over the rules: `monitor rescore` and `monitor dedup rebuild` keep it.
    """


def _relevance(app: AppContext, item_ids: tuple[int, ...], relevant: bool, reviewer: str) -> None:
    from monitor.dedup import build_fold_stage

    fold = build_fold_stage(app.config)
    for item_id in item_ids:
        label_relevance(app.db, item_id, relevant, reviewer=reviewer, fold=fold)
    word = "relevant" if relevant else "not relevant"
    click.echo(f"Labelled {len(item_ids)} item(s) {word} (reviewer {reviewer}).")


@label_group.command("relevant")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@REVIEWER
@pass_app
def relevant_cmd(app: AppContext, item_ids: tuple[int, ...], reviewer: str) -> None:
    """ITEM_IDS are relevant to the topic."""
    _relevance(app, item_ids, True, reviewer)


@label_group.command("not-relevant")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@REVIEWER
@pass_app
def not_relevant_cmd(app: AppContext, item_ids: tuple[int, ...], reviewer: str) -> None:
    """ITEM_IDS are not relevant to the topic."""
    _relevance(app, item_ids, False, reviewer)


@label_group.command("same-story")
@click.argument("item_id", type=int)
@click.argument("other_id", type=int)
@REVIEWER
@pass_app
def same_cmd(app: AppContext, item_id: int, other_id: int, reviewer: str) -> None:
    """ITEM_ID and OTHER_ID report the same story (OTHER_ID joins ITEM_ID's story)."""
    label_pair(app.db, item_id, other_id, True, reviewer=reviewer)
    click.echo(f"Labelled items {item_id} and {other_id} the same story (reviewer {reviewer}).")


@label_group.command("not-same-story")
@click.argument("item_id", type=int)
@click.argument("other_id", type=int)
@REVIEWER
@pass_app
def not_same_cmd(app: AppContext, item_id: int, other_id: int, reviewer: str) -> None:
    """ITEM_ID and OTHER_ID are different stories (OTHER_ID is split off if they share one)."""
    label_pair(app.db, item_id, other_id, False, reviewer=reviewer)
    click.echo(f"Labelled items {item_id} and {other_id} different stories (reviewer {reviewer}).")


@label_group.command("list")
@click.option("--limit", type=int, default=50, show_default=True)
@pass_app
def list_cmd(app: AppContext, limit: int) -> None:
    """The newest labels (older ones of the same item or pair are history)."""
    with app.db.session() as s:
        rows = list_labels(s, limit=limit)
    table = Table(title="Labels")
    for col in ("ID", "When (UTC)", "Reviewer", "Label", "Item", "Other"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(r.reviewer),
            r.kind.replace("_", " "),
            str(r.item_id),
            str(r.other_item_id or ""),
        )
    app.console.print(table)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_report(report: EvalReport, *, show: int = 20) -> str:
    lines = [f"Topic {report.topic} (threshold {report.threshold}) against reviewer labels"]
    if not report.languages:
        lines.append("No relevance labels yet: `monitor label relevant|not-relevant ITEM`.")
    else:
        lines.append("lang  labelled   tp   fp   fn   tn  precision  recall     F1")
        rows = [*((lang.language, lang.scores) for lang in report.languages)]
        rows.append(("all", report.overall))
        for name, s in rows:
            total = s.tp + s.fp + s.fn + s.tn
            lines.append(
                f"{name:<5} {total:>8} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.tn:>4} "
                f"{_pct(s.precision):>10} {_pct(s.recall):>7} {_pct(s.f1):>6}"
            )
    for lang in report.languages:
        for d in lang.disagreements[:show]:
            said = "relevant" if d.labelled_relevant else "not relevant"
            verdict = "misses" if d.labelled_relevant else "keeps"
            lines.append("")
            lines.append(
                f"[{lang.language}] item {d.item_id}: the topic {verdict} it "
                f"(score {d.score} vs {d.threshold}; labelled {said} by {d.reviewer})"
            )
            lines.append(f"  {d.title[:100]}")
            for p in d.points[:6]:
                lines.append(f"  points: {p}")
            for r in d.rules:
                lines.append(f"  rule:   {r}")
            lines.append("  terms:  " + ("; ".join(d.terms[:10]) if d.terms else "none"))
        if len(lang.disagreements) > show:
            lines.append(f"  … and {len(lang.disagreements) - show} more in {lang.language}")
    if report.pairs:
        lines.append("")
        lines.append(
            f"Stories: {report.pairs_agree} of {report.pairs} labelled pairs agree with the "
            "archive's stories."
        )
        for pair in report.pair_disagreements[:show]:
            want = "the same story" if pair.labelled_same else "different stories"
            lines.append(
                f"  items {pair.item_id} and {pair.other_item_id}: labelled {want}; stories "
                f"{pair.story_id or '—'} ({pair.signals[0]}) and {pair.other_story_id or '—'} "
                f"({pair.signals[1]})"
            )
    return "\n".join(lines)


@click.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--show", default=20, show_default=True, help="Disagreements listed per language.")
@pass_app
def eval_cmd(app: AppContext, as_json: bool, show: int) -> None:
    """Precision and recall of the current topic per language against every reviewer label,
    with the rules and terms behind each disagreement; same-story labels against the stories."""
    matcher = build_matcher(app.config)
    report = evaluate_labels(app.db, matcher, topic=app.config.settings.topic)
    if as_json:
        data = asdict(report)
        for lang, entry in zip(report.languages, data["languages"], strict=True):
            entry["precision"] = lang.scores.precision
            entry["recall"] = lang.scores.recall
            entry["f1"] = lang.scores.f1
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, show=show))
