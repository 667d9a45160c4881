"""What a logged-in user must do before anything else, in this order:

1. the second factor: enter a code ("verify"), or enrol if the role requires it ("enrol");
2. a new password: one an administrator set, or one older than PASSWORD_MAX_AGE_DAYS;
3. approval and activation: a self-registered unit sees only its status page until its
   district office or the bureau approves it and its e-mail address is confirmed.

Logging out, static files and the activation link are always allowed: a unit that has just
registered is logged in and still awaits activation, and the link it was e-mailed must work in
that same browser (it is a public page, so the gate hides nothing by letting it through). The gate reads the user and the session that
every request already loads: it costs no query.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from . import twofactor


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(settings.STATIC_URL)
        ):
            return self.get_response(request)
        target = self._owed(request, user)
        request.account_gate = target  # the menus stay hidden until it is settled
        if target is not None:
            allowed = {reverse(name) for name in (target, "logout", *ALSO_ALLOWED.get(target, ()))}
            if request.path not in allowed and not request.path.startswith(_activation_prefix()):
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _owed(request, user) -> str | None:
        state = request.session.get(twofactor.SESSION_KEY)
        if state is None:  # a session from before two-factor login existed
            state = request.session[twofactor.SESSION_KEY] = twofactor.state_for(user)
        if state == twofactor.VERIFY:
            return "accounts:otp_verify"
        if state == twofactor.ENROL:
            return "accounts:otp_enrol"
        if user.must_change_password or user.password_expired(settings.PASSWORD_MAX_AGE_DAYS):
            return "password_change"
        org = user.organisation
        if user.awaiting_activation or (org is not None and not org.is_approved):
            return "accounts:status"
        return None


def _activation_prefix() -> str:
    """The activation links' common path (/accounts/activate/), whatever the user and token."""
    return reverse("accounts:activate", args=["u", "t"]).removesuffix("u/t/")


#: Pages reachable while something is owed, besides the page that settles it.
ALSO_ALLOWED = {
    "accounts:status": ("password_change", "accounts:resend_activation"),
}
