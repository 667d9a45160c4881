"""The columns of the project lists (the recommender's 待审项目, the bureau's 全市申报), declared
once: header, who sees it, whether it shows before the user chooses, whether it can be hidden.

The bureau's list has 18 columns; all of them made it 1,548 px wide, so at 1366 px 状态 and
提交时间 were off screen. Its default set fits a 1366 px screen (tests/browser/test_layout.py);
each user may show further columns or hide optional ones, and the choice is kept on the user
(User.list_columns). The cells are built from the same keys in
reviews.templatetags.queue_rows.
"""

from dataclasses import dataclass

from django.db import transaction

from shanghai_experts.models import User


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    title: str = ""  # the header's tooltip
    #: The header on the 服务基地评估 tab, where it differs.
    assessment_header: str = ""
    bureau_only: bool = False
    #: Always shown: what identifies a row and where it stands.
    fixed: bool = False
    #: Shown to the bureau until its user chooses (recommenders' lists are narrow enough to
    #: show every column they have).
    bureau_default: bool = True
    css: str = ""

    def header_for(self, showing: str) -> str:
        return (
            self.assessment_header
            if showing == "assessment" and self.assessment_header
            else self.header
        )


COLUMNS = (
    Column("select", "选择", fixed=True),
    Column("reference", "编号", fixed=True),
    Column("name", "名称", fixed=True, css="col-name"),
    Column("unit", "申报单位", assessment_header="依托单位"),
    Column("category", "类别"),
    Column("field", "服务领域", assessment_header="所属行业领域", bureau_default=False),
    Column("recommender", "推荐单位", bureau_only=True),
    Column("rank", "排序", title="推荐单位给出的推荐排序", bureau_default=False),
    Column("mean", "均分", title="评审人加权得分的平均值（百分制）", bureau_only=True),
    Column("spread", "极差", title="最高与最低加权得分之差", bureau_only=True),
    Column("priority", "优先", title="依托基地上一年度获通报表扬", bureau_only=True),
    Column("requested", "申请经费", title="万元", bureau_only=True),
    Column("granted", "资助经费", title="万元", bureau_only=True, bureau_default=False),
    Column(
        "leader",
        "领衔专家",
        title="第一位领衔专家的职称层级与人才计划",
        bureau_only=True,
        bureau_default=False,
    ),
    Column("scan", "盖章件", title="申报单位上传的盖章扫描件"),
    Column("paper", "书面材料", title="市人社局收到书面材料的日期", bureau_default=False),
    Column("submitted", "提交时间", fixed=True),
    # Last, so that on a phone, where it stays in view at the right edge, it covers no column
    # when the table is scrolled to its end.
    Column("state", "状态", fixed=True, css="col-state"),
)

BY_KEY = {c.key: c for c in COLUMNS}


def available(organisation) -> list[Column]:
    """Every column this organisation's list has."""
    return [c for c in COLUMNS if organisation.is_bureau or not c.bureau_only]


def choosable(organisation) -> list[Column]:
    """The columns a user of this organisation may show or hide."""
    return [c for c in available(organisation) if not c.fixed]


def is_shown(column: Column, user, organisation) -> bool:
    if column.fixed:
        return True
    chosen = user.list_columns
    if chosen is None:
        return column.bureau_default or not organisation.is_bureau
    return column.key in chosen


def shown(user, organisation) -> list[Column]:
    """The columns `user` sees, in the list's order."""
    return [c for c in available(organisation) if is_shown(c, user, organisation)]


def choose(user, organisation, keys) -> list[str]:
    """Keep the optional columns `user` wants to see (unknown or fixed keys are ignored);
    `keys` None goes back to the default set. Returns what was stored."""
    allowed = {c.key for c in choosable(organisation)}
    chosen = (
        None if keys is None else [c.key for c in COLUMNS if c.key in allowed and c.key in keys]
    )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(list_columns=chosen)
    user.list_columns = chosen
    return chosen
