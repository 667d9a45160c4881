"""The site's URLconf: the top floor, where the forms' pages meet the review engine.

The two forms' edit and confirmation pages are one view of every kind (reviews.editing), which
submits through the workflow beside it; each path says which kind of item it edits.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from applications import roster_views
from applications import views as application_views
from bases import views as base_views
from reviews import editing, item_views
from shanghai_experts import account_views, division_views, health
from shanghai_experts.items import APPLICATION, ASSESSMENT

from . import views

admin.site.site_header = "专家服务基层项目 系统管理"
admin.site.site_title = "专家服务基层项目 系统管理"
admin.site.index_title = "管理首页"

application_patterns = [
    path("new/", application_views.create, name="create"),
    path("<id:pk>/", item_views.application_detail, name="detail"),
    path("<id:pk>/edit/", editing.edit, {"kind": APPLICATION}, name="edit"),
    path("<id:pk>/submit/", editing.submit, {"kind": APPLICATION}, name="submit"),
    path("<id:pk>/roster/", roster_views.roster_import, name="roster_import"),
    path("<id:pk>/roster/confirm/", roster_views.roster_confirm, name="roster_confirm"),
    path("<id:pk>/roster/template.xlsx", roster_views.roster_template, name="roster_template"),
]

base_patterns = [
    path("", base_views.base_list, name="list"),
    path("new/", base_views.base_form, name="create"),
    path("<id:pk>/edit/", base_views.base_form, name="edit"),
    path("open/", item_views.open_assessments, name="open"),
    path("assessments/<id:pk>/", item_views.assessment_detail, name="assessment"),
    path("assessments/<id:pk>/edit/", editing.edit, {"kind": ASSESSMENT}, name="assessment_edit"),
    path(
        "assessments/<id:pk>/submit/",
        editing.submit,
        {"kind": ASSESSMENT},
        name="assessment_submit",
    ),
    path("assessments/<id:pk>/rectification/", item_views.rectification, name="rectification"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("notice/", views.notice, name="notice"),
    path("notice/forms/<str:form>/", views.blank_form, name="blank_form"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("session/keepalive/", account_views.keepalive, name="keepalive"),
    path("organisation/", account_views.my_organisation, name="my_organisation"),
    path(
        "divisions/<str:level>/<str:code>/",
        division_views.division_options,
        name="division_options",
    ),
    path("applications/", include((application_patterns, "applications"))),
    path("reviews/", include("reviews.urls")),
    path("bases/", include((base_patterns, "bases"))),
    path("accounts/", include("accounts.urls")),
    path("downloads/", include("jobs.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

# A file whose name is too long for Django's parser gets a page naming the field.
handler400 = "shanghai_experts.upload_errors.bad_request"
