from django.core.management.base import BaseCommand

from reviews.operations.retention import purge


class Command(BaseCommand):
    help = "清除过期会话和登录记录，并对保留期届满的提交内容脱敏；可由 cron 每天运行，可重复运行。"

    def handle(self, *args, **options):
        self.stdout.write(str(purge()))
