from django.core.management.base import BaseCommand

from records.outbox import send_due
from reviews import reminders
from reviews.deadlines import queue_reminders


class Command(BaseCommand):
    help = (
        "写入到期的截止提醒，发送到期的通知邮件（失败的按间隔重试）；"
        "可由 cron 每分钟运行，可重复运行。"
    )

    def handle(self, *args, **options):
        reminded = queue_reminders()
        deadlines = reminders.queue_reminders()
        sent, failed = send_due()
        self.stdout.write(
            f"评审截止提醒 {reminded} 封，申报、推荐和整改截止提醒 {deadlines} 封；"
            f"已发送 {sent} 封，失败 {failed} 封。"
        )
