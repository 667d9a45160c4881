"""The current two-factor code of the demo accounts (bureau, admin), so anyone trying `make run`
can log in as every role without an authenticator app."""

import base64
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from .load_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "显示演示账号（bureau、admin）当前的两步验证码。"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("DEBUG=0：生产环境没有演示密钥。")
        totp = TOTP(base64.b32decode(DEMO_TOTP_SECRET))
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"{totp.token():06d}（还有 {left} 秒更新；密钥 {DEMO_TOTP_SECRET}）")
