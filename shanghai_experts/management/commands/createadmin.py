"""The first administrator of a new installation, once.

    ADMIN_PASSWORD=… python manage.py createadmin --username sysadmin   (or a prompt)

The password is checked against the password policy and must be changed at the first login.
The command refuses to run when an administrator exists: later accounts are made in the admin.
"""

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shanghai_experts.models import User


class Command(BaseCommand):
    help = "创建第一个系统管理员（仅一次）；密码取自 ADMIN_PASSWORD 或交互输入，首次登录须修改。"

    def add_arguments(self, parser):
        parser.add_argument("--username", default="sysadmin")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, email, **options):
        if User.objects.filter(is_superuser=True).exists():
            raise CommandError("已存在系统管理员，本命令只用于新系统的第一个管理员。")
        password = os.environ.get("ADMIN_PASSWORD") or self._prompt()
        candidate = User(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("密码不符合要求：" + "".join(exc.messages)) from exc
        with transaction.atomic():
            user = User.objects.create_superuser(username=username, email=email, password=password)
            user.must_change_password = True
            user.save(update_fields=["must_change_password"])
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {username}；首次登录须修改密码。"))

    def _prompt(self) -> str:
        if not os.isatty(0):
            raise CommandError("请设置 ADMIN_PASSWORD，或在终端中运行以输入密码。")
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
