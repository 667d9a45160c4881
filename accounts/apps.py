from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self):
        from shanghai_experts.signals import purging

        from . import onboarding, twofactor

        twofactor.connect()
        purging.connect(onboarding.purge_batches, dispatch_uid="accounts.onboarding.purge")
