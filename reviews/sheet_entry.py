"""A score sheet as its page handles it: the typed points and comment, their errors, and the
save through scoring.record_scores. The bureau's score page and the 评审专家's page share it."""

from __future__ import annotations

import dataclasses

from django import forms
from django.contrib import messages

from shanghai_experts.http import client_ip
from shanghai_experts.text import parse_id, plain_number

from . import scoring
from .engine.workflow import WorkflowError

COMMENT_LIMIT = 2000


@dataclasses.dataclass
class SheetEntry:
    criteria: list
    typed: dict[str, str]
    comment: str
    errors: dict[int, str] = dataclasses.field(default_factory=dict)
    points: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, criteria, sheet) -> SheetEntry:
        """What a saved sheet (or none) shows."""
        typed = {
            f"criterion-{s.criterion_id}": plain_number(s.points)
            for s in (sheet.scores.all() if sheet else [])
        }
        return cls(criteria, typed, sheet.comment if sheet else "")

    @classmethod
    def typed_in(cls, criteria, post) -> SheetEntry:
        """What was typed, kept as typed, with every problem named by its criterion."""
        typed = {f"criterion-{c.pk}": post.get(f"criterion-{c.pk}", "") for c in criteria}
        comment = post.get("comment", "")
        points, errors = scoring.parse_points(criteria, post)
        try:
            forms.CharField(max_length=COMMENT_LIMIT, required=False).clean(comment)
        except forms.ValidationError as exc:
            errors[0] = f"评审意见：{exc.messages[0]}"
        return cls(criteria, typed, comment, errors, points)

    @property
    def rows(self) -> list[dict]:
        return [
            {
                "criterion": c,
                "value": self.typed.get(f"criterion-{c.pk}", ""),
                "error": self.errors.get(c.pk),
            }
            for c in self.criteria
        ]

    def save(self, request, app, *, submit: bool = True) -> bool:
        """Record the sheet; on a refusal say why (the typed values stay on the page)."""
        if self.errors:
            messages.error(request, "评分未保存：" + self.errors.pop(0, "请更正标出的评分项。"))
            return False
        try:
            scoring.record_scores(
                app,
                reviewer=request.user,
                points=self.points,
                comment=self.comment,
                client_ip=client_ip(request),
                version=parse_id(request.POST.get("version")),
                submit=submit,
            )
        except WorkflowError as exc:
            messages.error(request, f"评分未保存：{exc}")
            return False
        return True
