from django.conf import settings


def site(request):
    return {
        "SITE_NAME": "上海市专家服务基层项目申报评审系统",
        "DEBUG": settings.DEBUG,
        "SCAN_MAX_MB": round(settings.SCAN_MAX_BYTES / 1024 / 1024),
        "IDLE_SECONDS": settings.SESSION_IDLE_TIMEOUT,
    }
