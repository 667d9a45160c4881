from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The thin top: the home page, the URLconf that wires the apps together, demo data."""

    name = "portal"
    verbose_name = "门户"
