"""The user's own account: changing the password (required after an administrator set it)."""

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from .models import Organisation
from .permissions import permission_required
from .signals import organisation_changed, password_changed


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        days = settings.PASSWORD_MAX_AGE_DAYS
        return super().get_context_data(
            **kwargs, expired=self.request.user.password_expired(days), max_age=days
        )

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        password_changed.send(sender=type(user), user=user, request=self.request)
        messages.success(self.request, "密码已修改。")
        return response


def keepalive(request):
    """继续: the idle timeout starts again (the middleware notes the request). GET only."""
    request.session["last_seen"] = int(time.time())
    return JsonResponse({"ok": True, "seconds": settings.SESSION_IDLE_TIMEOUT})


class CommissionForm(forms.Form):
    commission = forms.ModelChoiceField(
        label="本单位行业主管部门（委、办、局）",
        queryset=Organisation.objects.filter(
            kind=Organisation.Kind.COMMISSION, is_active=True
        ).order_by("id"),
        required=False,
        empty_label="— 无 / 不选择 —",
        help_text="选择后，申报时它排在所在区人社局之后，便于选择。",
    )


@permission_required("shanghai_experts.edit_own_organisation")
def my_organisation(request):
    """本单位信息: a unit records its 行业主管部门 (where it may submit, besides its district)."""
    org = request.user.organisation
    form = CommissionForm(request.POST or None, initial={"commission": org.commission})
    if request.method == "POST" and form.is_valid():
        before = org.commission
        org.commission = form.cleaned_data["commission"]
        org.save(update_fields=["commission"])
        organisation_changed.send(
            sender=type(org),
            organisation=org,
            user=request.user,
            request=request,
            comment=f"行业主管部门：{before or '无'} → {org.commission or '无'}",
        )
        messages.success(request, "本单位信息已保存。")
        return redirect("my_organisation")
    return render(request, "registration/organisation.html", {"form": form, "organisation": org})
