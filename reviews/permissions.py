"""Who may do what in the review engine: the rules its pages declare
(shanghai_experts.permissions explains the names and the 404).

The rules open a page; what may be done on it is the workflow's to refuse, with its words
and an audit record (a recommender that opens an item may still not recommend it twice).
"""

import rules

from shanghai_experts.permissions import (
    has_item,
    is_bureau,
    is_office,
    is_recommender,
    is_reviewer,
    owns_item,
    sees_item,
)


@rules.predicate
def own_assignment(user, assignment) -> bool:
    """The 评审专家 the item is assigned to."""
    return assignment is not None and assignment.reviewer_id == user.pk


@rules.predicate
def recused(user, assignment) -> bool:
    return assignment is not None and assignment.declaration == assignment.Declaration.RECUSED


@rules.predicate
def sees_scanned_item(user, scan) -> bool:
    """A stamped scan is seen by whoever may see its item (scan.item)."""
    return scan is not None and sees_item(user, scan.item)


# --- the lists: recommenders and the bureau -----------------------------------------------------

#: 项目列表, its totals, its columns, the 一览表 export and the ZIP of PDFs.
rules.add_perm("reviews.see_queue", is_office)
#: 推荐排序 (优中选优).
rules.add_perm("reviews.rank_items", is_office)
#: 统计.
rules.add_perm("reviews.see_statistics", is_office)
#: 汇总 (how many items each recommender sent) and the bureau list's totals line.
rules.add_perm("reviews.see_summary", is_bureau)
#: The national recommendation list (国家级推荐名单), exported from the bureau's list.
rules.add_perm("reviews.export_national_list", is_bureau)

# --- one item ---------------------------------------------------------------------------------

#: The one edit page and its submission's confirmation (reviews.editing), of any kind: the
#: unit that owns the item, in any state (the page says why a submitted one cannot change).
rules.add_perm("reviews.edit_item", owns_item)

#: A transition's confirmation and the transition (the workflow refuses the rest).
rules.add_perm("reviews.act_on_item", sees_item)
#: 内部意见 (notes.add_note refuses a unit).
rules.add_perm("reviews.note_item", sees_item)
#: The stamp-ready PDF, and the stamped scans.
rules.add_perm("reviews.print_item", sees_item)
rules.add_perm("reviews.scan_item", sees_item)
rules.add_perm("reviews.download_scan", sees_scanned_item)
#: 资助经费 (services.record_funding refuses anyone but the bureau).
rules.add_perm("reviews.fund_item", sees_item)
#: The bureau's score sheet of an item.
rules.add_perm("reviews.score_item", is_bureau & sees_item)
#: 立项通知 (the page also needs the published result that carries one).
rules.add_perm("reviews.see_project_notice", sees_item)

# --- 推荐报送 and 书面材料 ----------------------------------------------------------------------

#: The recommender's 推荐报送 page.
rules.add_perm("reviews.file_recommendation", is_recommender)
#: 推荐函: the recommender's own; the bureau names the recommender.
rules.add_perm("reviews.print_letter", is_office)
#: 书面材料: the bureau records what arrived, per recommender or per item.
rules.add_perm("reviews.record_paper", is_bureau)
rules.add_perm("reviews.record_item_paper", is_bureau & has_item & sees_item)

# --- the bureau's settings of the call and its results -------------------------------------------

#: 截止时间延期, 推荐名额, 评审截止时间.
rules.add_perm("reviews.set_call", is_bureau)
#: 公布结果 and the national recommendation order.
rules.add_perm("reviews.publish_results", is_bureau)
#: 分配评审专家, 评审进度, reopening a sheet.
rules.add_perm("reviews.assign_reviewers", is_bureau)
#: 审计日志, 登录锁定, 邮件发送失败.
rules.add_perm("reviews.see_security", is_bureau)

# --- the 评审专家 ----------------------------------------------------------------------------

#: 我的评审任务.
rules.add_perm("reviews.review_assigned", is_reviewer)
#: One assigned item and its score sheet: their own assignment only.
rules.add_perm("reviews.review_item", is_reviewer & own_assignment)
#: Its masked PDF: not once they have recused themselves.
rules.add_perm("reviews.print_assigned", is_reviewer & own_assignment & ~recused)
