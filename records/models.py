"""The audit trail (append-only, 等保2.0 三级) and the outbox of notices."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone

from shanghai_experts.models import Organisation
from shanghai_experts.states import State


class AuditQuerySet(models.QuerySet):
    """The audit trail is append-only: no bulk update or delete through the ORM."""

    def update(self, **kwargs):
        raise PermissionError("审计记录不可修改。")

    def delete(self):
        raise PermissionError("审计记录不可删除。")


class AuditRecord(models.Model):
    """One event of the audit trail (等保2.0 三级: kept at least 190 days, never edited).

    Workflow transitions (taken or refused), logins, failed logins, logouts, exports and
    downloads: who, for which organisation, when, from where, on what, and the outcome.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        REFUSED = "refused", "被拒绝"
        FAILED = "failed", "失败"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True)
    object_id = models.PositiveBigIntegerField(null=True)
    item = GenericForeignKey("content_type", "object_id")

    action = models.CharField("操作", max_length=32)
    action_label = models.CharField("操作名称", max_length=40)
    outcome = models.CharField(
        "结果", max_length=12, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    from_state = models.CharField("原状态", max_length=24, choices=State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=24, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, null=True
    )
    #: The login name as typed: kept for failed logins, where there may be no such user.
    username = models.CharField("登录名", max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="操作机构", on_delete=models.PROTECT, null=True
    )
    comment = models.TextField("意见", blank=True)
    client_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        db_table = "reviews_auditrecord"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"]),
            models.Index(fields=["action", "created_at"], name="audit_action_time"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.action_label}：{self.get_from_state_display()} → {self.get_to_state_display()}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录不可删除。")

    @property
    def snapshot(self) -> dict | None:
        """What was submitted with this event (a submission), or None."""
        try:
            return self.content.data
        except ObjectDoesNotExist:  # reviews.SubmittedContent: only a submission has one
            return None


class OutboundMail(models.Model):
    """A notice waiting to be sent, written in the same transaction as the change it reports.

    Sent right after the commit; a failure is retried with backoff (`manage.py send_mail`,
    from cron) and the bureau sees notices that keep failing (安全 → 邮件发送). The body is
    never logged.
    """

    recipients = models.JSONField("收件人")
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", default=timezone.now)
    last_error = models.CharField("最近错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "通知邮件"
        verbose_name_plural = "通知邮件"
        db_table = "reviews_outboundmail"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.subject
