from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

admin.site.site_header = "专家服务基层项目 系统管理"
admin.site.site_title = "专家服务基层项目 系统管理"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("applications/", include("applications.urls")),
    path("reviews/", include("reviews.urls")),
    path("bases/", include("bases.urls")),
    path("admin/", admin.site.urls),
]
