from django.conf import settings


def site(request):
    return {"SITE_NAME": "上海市专家服务基层项目申报评审系统", "DEBUG": settings.DEBUG}
