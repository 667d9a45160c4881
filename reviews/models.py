"""Audit records of the workflow: who moved which item from where to where, and why."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from shanghai_experts.models import Organisation

from .states import State


class AuditRecord(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    item = GenericForeignKey("content_type", "object_id")

    action = models.CharField("操作", max_length=32)
    action_label = models.CharField("操作名称", max_length=40)
    from_state = models.CharField("原状态", max_length=24, choices=State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=24, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="操作机构", on_delete=models.PROTECT, null=True
    )
    comment = models.TextField("意见", blank=True)
    client_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    snapshot = models.JSONField("提交内容", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.action_label}：{self.get_from_state_display()} → {self.get_to_state_display()}"
        )
