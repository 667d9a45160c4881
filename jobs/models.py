"""One background job: who asked for what, how far it got, and where its file is."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from shanghai_experts.models import Organisation


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"

    kind = models.CharField("类型", max_length=40)
    label = models.CharField("名称", max_length=200)
    #: What the kind's builder needs to build it again in the worker (filters, ticked ids).
    params = models.JSONField("参数", default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.CASCADE
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.CASCADE, null=True
    )
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    #: The finished file's name in the private storage; set only once it is complete.
    file = models.CharField("文件", max_length=300, blank=True)
    file_name = models.CharField("下载文件名", max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField("大小", null=True, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    #: When the job was last handed to the broker (sent again by beat when it seems lost).
    sent_at = models.DateTimeField("派发时间", null=True, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    #: Written while it runs: a running job whose heartbeat stops is sent again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_by_user"),
            models.Index(fields=["state", "heartbeat_at"], name="job_by_state"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.get_state_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED, self.State.EXPIRED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.done * 100 / self.total))
