from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shanghai_experts.backup import BackupError, restore


class Command(BaseCommand):
    help = "从备份归档恢复到空的数据库和空的扫描件目录（先校验全部文件）。"

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive, **options):
        try:
            manifest = restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {manifest['created_at']} 的备份：{len(manifest['tables'])} 张表、{rows} 行，"
                f"{sum(1 for f in manifest['files'] if f.startswith('private/'))} 个扫描件。"
            )
        )
