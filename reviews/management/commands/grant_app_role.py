from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from reviews.operations.dbroles import grant_app_role


class Command(BaseCommand):
    help = (
        "为应用程序的数据库角色授权（以表的所有者运行，每次迁移后运行）："
        "只能读写数据，不能清空、修改结构或改动审计记录。"
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="应用程序连接数据库所用的角色，例如 shanghai_app")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("只适用于 PostgreSQL。")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
            if owner == role:
                raise CommandError("应用程序角色不能是表的所有者。")
            grant_app_role(cursor, role, owner)
        self.stdout.write(self.style.SUCCESS(f"已为 {role} 授权（所有者 {owner}）。"))
