"""A bulk onboarding upload, kept between its preview and its confirmation."""

from django.conf import settings
from django.db import models


class OnboardingBatch(models.Model):
    """The rows of one uploaded 单位名单, checked: nothing is created until it is confirmed."""

    organisation = models.ForeignKey(
        "shanghai_experts.Organisation",
        verbose_name="导入机构",
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField("文件名", max_length=200)
    #: One dict per data row: its sheet row number, the cleaned values, the action it will take
    #: ("create", "update", "same") and its problems [{"column", "message"}].
    rows = models.JSONField("行", default=list)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("导入时间", null=True, blank=True)
    created_count = models.PositiveIntegerField("新建单位数", default=0)
    updated_count = models.PositiveIntegerField("更新单位数", default=0)

    class Meta:
        verbose_name = "批量导入"
        verbose_name_plural = "批量导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def problem_rows(self) -> list[dict]:
        return [row for row in self.rows if row["problems"]]

    @property
    def good_rows(self) -> list[dict]:
        return [row for row in self.rows if not row["problems"]]

    def count(self, action: str) -> int:
        return sum(1 for row in self.good_rows if row["action"] == action)
