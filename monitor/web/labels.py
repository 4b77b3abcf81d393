"""Reviewer labels from the pages: an item is (not) relevant; two items are (not) one story.

The buttons on the item page and the story page post here (CSRF-checked, like every action); the
label is stored with the reader's name as its reviewer and applied at once, exactly as
``monitor label`` does (:mod:`monitor.feedback.apply`), so ``monitor eval`` counts it and
``rescore`` / ``dedup rebuild`` keep it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from monitor.dedup import build_fold_stage
from monitor.dedup.stage import FoldStage
from monitor.errors import MonitorError
from monitor.feedback.apply import label_pair, label_relevance

if TYPE_CHECKING:
    from monitor.web.app import ArchiveApp

RELEVANCE = {"relevant": True, "not_relevant": False}
PAIRS = {"same_story": True, "not_same_story": False}


class LabelActions:
    """The label endpoints of one :class:`~monitor.web.app.ArchiveApp`."""

    def __init__(self, app: ArchiveApp) -> None:
        self.app = app
        self._fold: FoldStage | None = None

    def fold(self) -> FoldStage:
        """The fold stage that puts a report labelled relevant into a story (built once)."""
        if self._fold is None:
            self._fold = build_fold_stage(self.app.config)
        return self._fold

    async def relevance(self, request: Request) -> Response:
        form, refused = await self.app.posted(request)
        if refused:
            return refused
        item_id = int(request.path_params["item_id"])
        kind = str(form.get("label") or "")
        if kind not in RELEVANCE:
            return self.app.failed(request, "web: label must be relevant or not_relevant", 400)
        reviewer = self.app.reader_name(request)
        try:
            label_relevance(
                self.app.db, item_id, RELEVANCE[kind], reviewer=reviewer, fold=self.fold()
            )
        except MonitorError as exc:
            return self.app.failed(request, str(exc), 400)
        return self.app.done(request, form, kind, f"/items/{item_id}", label=kind)

    async def pair(self, request: Request) -> Response:
        """``other`` reports the same story as this item (it joins this item's story), or not
        (it leaves the story when they share one)."""
        form, refused = await self.app.posted(request)
        if refused:
            return refused
        item_id = int(request.path_params["item_id"])
        kind = str(form.get("label") or "")
        if kind not in PAIRS:
            return self.app.failed(request, "web: label must be same_story or not_same_story", 400)
        raw = str(form.get("other") or "").strip().lstrip("#")
        if not raw.isdigit():
            return self.app.failed(request, "web: name the other report by its number", 400)
        other = int(raw)
        if other == item_id:
            return self.app.failed(request, "web: a report is always its own story", 400)
        reviewer = self.app.reader_name(request)
        try:
            label_pair(self.app.db, item_id, other, PAIRS[kind], reviewer=reviewer)
        except MonitorError as exc:
            return self.app.failed(request, str(exc), 400)
        return self.app.done(request, form, kind, f"/items/{item_id}", label=kind, other=other)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/items/{item_id:int}/label", self.relevance, methods=["POST"]),
            Route("/items/{item_id:int}/same-story", self.pair, methods=["POST"]),
        ]
