from django.apps import AppConfig, apps
from django.urls import register_converter

# checks registers the deploy checks; permissions the core's rules and the predicates.
from . import checks, permissions  # noqa: F401
from .converters import IdConverter


class ShanghaiExpertsConfig(AppConfig):
    name = "shanghai_experts"
    verbose_name = "机构、用户与申报批次"

    def ready(self):
        # `<id:pk>` in every app's URLs: a number that fits the id column, else a 404.
        register_converter(IdConverter, "id")
        _chinese_names_for_third_party_models()


#: The admin shows third-party models in Chinese too (django-axes ships no zh_Hans names).
THIRD_PARTY_NAMES = {
    ("axes", None): "登录防护",
    ("axes", "accessattempt"): "登录失败记录",
    ("axes", "accessfailurelog"): "登录失败日志",
    ("axes", "accesslog"): "登录日志",
    ("otp_totp", None): "两步验证（身份验证器）",
    ("otp_totp", "totpdevice"): "身份验证器",
    ("otp_static", None): "两步验证（恢复码）",
    ("otp_static", "staticdevice"): "恢复码设备",
    ("otp_static", "statictoken"): "恢复码",
}


def _chinese_names_for_third_party_models():
    for (label, model_name), name in THIRD_PARTY_NAMES.items():
        if not apps.is_installed(label):
            continue
        config = apps.get_app_config(label)
        if model_name is None:
            config.verbose_name = name
        else:
            meta = config.get_model(model_name)._meta
            meta.verbose_name = meta.verbose_name_plural = name
