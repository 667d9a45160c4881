"""The user's own account: changing the password (required after an administrator set it)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import reverse_lazy

from .signals import password_changed


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

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
