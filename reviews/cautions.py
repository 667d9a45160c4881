"""What a decision's confirmation page warns about, item by item: scores that disagree (分歧大:
a spread above the call's `spread_threshold`), a score from one reviewer only, or none."""

from __future__ import annotations

from shanghai_experts import visibility
from shanghai_experts.text import plain_number


def cautions(item, organisation=None) -> list[str]:
    """The warnings for one item the bureau selects with scores (its `call` loaded); none
    for a base assessment, and none for a reader the visibility matrix keeps from the scores
    (`organisation`; None: the bureau's own pages, which every caller has checked)."""
    if not item.item_kind.decided_by_bureau:
        return []
    if organisation is not None and not visibility.may_see(organisation, item, "scores"):
        return []
    out = []
    threshold = item.call.spread_threshold
    if item.score_spread is not None and item.score_spread > threshold:
        out.append(
            f"评分分歧大（极差 {plain_number(item.score_spread)}，超过 {plain_number(threshold)}）"
        )
    if item.score_count == 1:
        out.append("仅 1 位评审人评分")
    elif item.score_count == 0:
        out.append("尚无评分")
    return out


def with_cautions(items, organisation=None) -> list:
    """`items`, each with `.cautions` as `organisation` may see them; the flagged ones first
    keep their order."""
    items = list(items)
    for item in items:
        item.cautions = cautions(item, organisation)
    return items
