from django.apps import AppConfig

from shanghai_experts.signals import purging


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self):
        # Modules that use the models load once the app registry is ready.
        from . import onboarding, permissions, twofactor  # noqa: F401  (the pages' rules)

        twofactor.connect()
        purging.connect(onboarding.purge_batches, dispatch_uid="accounts.onboarding.purge")
