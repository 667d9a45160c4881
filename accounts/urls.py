from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("status/", views.status, name="status"),
    path("status/resend/", views.resend_activation, name="resend_activation"),
    path("activate/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<id:pk>/", views.decide, name="decide"),
    path("colleagues/", views.colleagues, name="colleagues"),
    path("colleagues/<id:pk>/active/", views.colleague_active, name="colleague_active"),
    path("colleagues/<id:pk>/resend/", views.colleague_resend, name="colleague_resend"),
    path("units/", views.units, name="units"),
    path("onboarding/", views.onboarding_upload, name="onboarding"),
    path("onboarding/template.xlsx", views.onboarding_template, name="onboarding_template"),
    path("onboarding/<id:pk>/", views.onboarding_preview, name="onboarding_preview"),
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/enrol/", views.otp_enrol, name="otp_enrol"),
    path("security/", views.security, name="security"),
]
