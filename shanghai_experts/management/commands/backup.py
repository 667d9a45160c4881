from pathlib import Path

from django.core.management.base import BaseCommand

from shanghai_experts.backup import backup, default_directory


class Command(BaseCommand):
    help = "备份数据库和盖章扫描件到一个带日期的归档文件（含校验清单）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, default=None, help="归档目录（默认 BACKUP_DIR 或 var/backups）"
        )

    def handle(self, *args, dir=None, **options):
        path = backup(dir or default_directory())
        self.stdout.write(self.style.SUCCESS(f"已备份：{path}"))
