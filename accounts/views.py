"""Account pages: 单位注册, its approval, activation, 忘记密码, colleagues, bulk onboarding and
two-factor login."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from shanghai_experts.auth import OrganisationBackend
from shanghai_experts.models import Organisation, User
from shanghai_experts.permissions import permission_required
from shanghai_experts.text import parse_id

from . import onboarding, services, twofactor
from .forms import (
    ActivationForm,
    ChinesePasswordResetForm,
    ChineseSetPasswordForm,
    CodeForm,
    DecisionForm,
    InviteForm,
    OnboardingUploadForm,
    RegistrationForm,
)
from .models import OnboardingBatch
from .tokens import activation_token

PAGE_SIZE = 50
BACKEND = f"{OrganisationBackend.__module__}.{OrganisationBackend.__name__}"


def _too_many(request, action: str, limit: int) -> bool:
    return services.recent_attempts(request, action) >= limit


# --- registration -----------------------------------------------------------------------------


@login_not_required
def register(request):
    """单位注册 (public): the account waits for approval by its district office or the bureau."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        user = None
        # Under a lock on the client address: 16 sign-ups at once are counted one by one.
        with services.limited(request, "register", settings.REGISTRATIONS_PER_HOUR) as allowed:
            if not allowed:
                form.is_valid()  # keep what was typed, with its own errors
                form.add_error(None, "同一网络地址一小时内注册次数过多，请稍后再试。")
                services.audit(request, "register", "单位注册", comment="超过频率限制", ok=False)
            elif form.is_valid():
                try:
                    user = services.register_unit(request, form.cleaned_data)
                except IntegrityError:
                    # The same code, name or login name was registered by another request
                    # a moment ago: checked again, the form now names the field.
                    form = RegistrationForm(request.POST)
                    if form.is_valid():
                        form.add_error(None, "提交时与另一注册冲突，请再提交一次。")
                    services.audit(request, "register", "单位注册", comment="填写有误", ok=False)
            else:
                # Failed attempts count towards the limit too: probing codes costs the same.
                services.audit(request, "register", "单位注册", comment="填写有误", ok=False)
        if user is not None:
            login(request, user, backend=BACKEND)
            messages.success(request, "注册已提交。激活邮件已发往您填写的邮箱。")
            return redirect("accounts:status")
    return render(request, "accounts/register.html", {"form": form})


def status(request):
    """What a self-registered account waits for: approval, activation."""
    user = request.user
    return render(
        request,
        "accounts/status.html",
        {"organisation": user.organisation, "account": user},
    )


@require_POST
def resend_activation(request):
    try:
        services.resend_activation(request, request.user)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"激活邮件已重新发往 {request.user.email}。")
    return redirect("accounts:status")


def _registration(request, pk) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("district", "commission"), pk=pk)


@permission_required("accounts.approve_registrations")
def approvals(request):
    """注册审核: registrations of the district's units (the bureau: all)."""
    org = request.user.organisation
    show = request.GET.get("show", "pending")
    if show not in {"pending", "rejected", "approved"}:
        show = "pending"
    units = (
        services.registrations(org, show)
        .annotate(accounts=Count("users"))
        .order_by("-registered_at", "-id")
    )
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        services.pending_for(org)
        .filter(registered_at__isnull=False)
        .values_list("approval")
        .annotate(n=Count("id"))
    )
    return render(
        request,
        "accounts/approvals.html",
        {"page": page, "show": show, "counts": counts, "form": DecisionForm()},
    )


@permission_required("accounts.decide_registration", fn=_registration)
def decide(request, unit, pk):
    """注册审核, one unit: the list's 通过 / 不予通过 lead here, where the registration is shown
    again with the decision and its reason, and nothing changes until 确认 is pressed."""
    if unit.approval != Organisation.Approval.PENDING:
        messages.info(request, f"「{unit.name}」的注册已经审核过。")
        return redirect("accounts:approvals")
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.decide_registration(
                    request, unit, approve=approve, reason=form.cleaned_data["reason"]
                )
            except services.AccountError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, f"「{unit.name}」{'已通过审核' if approve else '未通过审核'}。"
                )
            return redirect("accounts:approvals")
    else:
        decision = request.GET.get("decision")
        form = DecisionForm(initial={"decision": decision if decision == "reject" else "approve"})
    return render(
        request,
        "accounts/decide.html",
        {
            "unit": unit,
            "form": form,
            "accounts": User.objects.filter(organisation=unit).order_by("id"),
            "reject": (form["decision"].value() or "") == "reject",
        },
    )


# --- activation and passwords -----------------------------------------------------------------


def _user_from_uid(uidb64: str):
    try:
        pk = parse_id(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, UnicodeDecodeError):
        return None
    if pk is None:
        return None
    return get_user_model()._default_manager.select_related("organisation").filter(pk=pk).first()


@login_not_required
def activate(request, uidb64, token):
    """The one-time link: confirms a registration, or sets the first password."""
    user = _user_from_uid(uidb64)
    if user is None or not user.is_active or not activation_token.check_token(user, token):
        return render(request, "accounts/activate.html", {"valid": False}, status=400)
    needs_password = not user.has_usable_password()
    form = ActivationForm(user, request.POST or None) if needs_password else None
    if request.method == "POST" and (form is None or form.is_valid()):
        services.activate(
            request, user, form.cleaned_data["new_password1"] if form is not None else None
        )
        if request.user.is_authenticated and request.user.pk != user.pk:
            logout(request)
        messages.success(request, "账号已激活。" + ("请用新密码登录。" if form else ""))
        return redirect("home" if request.user.is_authenticated else "login")
    return render(request, "accounts/activate.html", {"valid": True, "form": form, "account": user})


class PasswordResetView(auth_views.PasswordResetView):
    """忘记密码: the same answer whether or not the address is known; rate-limited."""

    form_class = ChinesePasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    extra_context = {"reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}

    def get_extra_email_context(self):
        return {
            "site_url": settings.SITE_URL.rstrip("/"),
            "reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }

    def post(self, request, *args, **kwargs):
        if _too_many(request, "password_reset", settings.PASSWORD_RESETS_PER_HOUR):
            services.audit(request, "password_reset", "找回密码", comment="超过频率限制", ok=False)
            # The same page as a success: the limit tells nothing about the address.
            return redirect(self.success_url)
        services.audit(request, "password_reset", "找回密码")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ChineseSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        if user.must_change_password:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        services.audit(self.request, "password_reset_done", "重设密码", user=user)
        messages.success(self.request, "密码已重设，请用新密码登录。")
        return response


# --- colleagues -------------------------------------------------------------------------------


def _colleague(request, pk) -> User:
    return get_object_or_404(User, pk=pk)


def _active_colleague(request, pk) -> User:
    return get_object_or_404(User, pk=pk, is_active=True)


@permission_required("accounts.manage_colleagues")
def colleagues(request):
    """本单位账号: the organisation's accounts; invite a colleague, deactivate one."""
    org = request.user.organisation
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invited = services.invite_colleague(request, form.cleaned_data)
        messages.success(request, f"已邀请 {invited.first_name}，激活邮件已发往 {invited.email}。")
        return redirect("accounts:colleagues")
    return render(
        request,
        "accounts/colleagues.html",
        {"organisation": org, "people": services.colleagues_of(org), "form": form},
    )


@require_POST
@permission_required("accounts.manage_colleague", fn=_colleague)
def colleague_active(request, colleague, pk):
    active = request.POST.get("active") == "1"
    try:
        services.set_colleague_active(request, colleague, active)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已{'启用' if active else '停用'} {colleague.username}。")
    return redirect("accounts:colleagues")


@require_POST
@permission_required("accounts.manage_colleague", fn=_active_colleague)
def colleague_resend(request, colleague, pk):
    try:
        services.resend_activation(request, colleague)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"激活邮件已重新发往 {colleague.email}。")
    return redirect("accounts:colleagues")


# --- bulk onboarding --------------------------------------------------------------------------


def _batch(request, pk) -> OnboardingBatch:
    return get_object_or_404(OnboardingBatch, pk=pk)


@permission_required("accounts.onboard_units")
def onboarding_template(request):
    org = request.user.organisation
    response = HttpResponse(
        onboarding.template(org),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        "attachment; filename=\"onboarding.xlsx\"; filename*=UTF-8''" + quote("单位名单模板.xlsx")
    )
    return response


@permission_required("accounts.onboard_units")
def onboarding_upload(request):
    """批量开通: upload the filled template; the next page previews it."""
    org = request.user.organisation
    form = OnboardingUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = onboarding.check(request, form.cleaned_data["file"])
        except onboarding.FileRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect("accounts:onboarding_preview", pk=batch.pk)
    units = Organisation.objects.filter(onboarding.scope_q(org))
    return render(
        request,
        "accounts/onboarding.html",
        {
            "form": form,
            "batches": onboarding.batches_for(org)[:10],
            "unit_count": units.count(),
            "waiting": User.objects.filter(
                services.not_yet_activated(), organisation__in=units
            ).count(),
        },
    )


@permission_required("accounts.see_onboarding_batch", fn=_batch)
def onboarding_preview(request, batch, pk):
    if request.method == "POST":
        try:
            created, updated = onboarding.apply(request, batch)
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"已导入：新建 {created} 个单位及其账号（激活邮件已发出），更新 {updated} 个单位的联系人。",
            )
        return redirect("accounts:onboarding_preview", pk=batch.pk)
    return render(
        request,
        "accounts/onboarding_preview.html",
        {
            "batch": batch,
            "created": batch.count("create"),
            "updated": batch.count("update"),
            "same": batch.count("same"),
            "problem_rows": batch.problem_rows,
        },
    )


@permission_required("accounts.onboard_units")
def units(request):
    """The units a recommender manages, with their contact and whether they have activated."""
    org = request.user.organisation
    q = request.GET.get("q", "").replace("\x00", "")[:50]
    qs = (
        Organisation.objects.filter(onboarding.scope_q(org))
        .select_related("district")
        .annotate(
            accounts=Count("users", filter=Q(users__is_active=True)),
            waiting=Count("users", filter=services.not_yet_activated("users__")),
        )
        .order_by("name", "id")
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/units.html", {"page": page, "q": q})


# --- two-factor login -------------------------------------------------------------------------


def otp_verify(request):
    """The second step of login: a code from the app, or a recovery code."""
    if request.session.get(twofactor.SESSION_KEY) != twofactor.VERIFY:
        return redirect("home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(request, form.cleaned_data["code"])
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return render(request, "registration/locked.html", status=429)
        if device is not None:
            services.audit(request, "otp_login", "动态验证码登录")
            if device.__class__.__name__ == "StaticDevice":
                left = twofactor.remaining_recovery_codes(request.user)
                messages.warning(request, f"已使用一个恢复码，还剩 {left} 个。")
            return redirect(_next(request))
        if twofactor.throttled(request.user):
            form.add_error("code", "验证码不正确。连续输错后需稍候几秒再试，请等待后重新输入。")
        else:
            form.add_error("code", "验证码不正确或已过期，请输入身份验证器中当前显示的 6 位数字。")
    return render(request, "accounts/otp_verify.html", {"form": form})


def _next(request) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("home")


def otp_enrol(request):
    """Enrolment: scan the QR code, type the first code; recovery codes are shown once."""
    if request.session.get(twofactor.SESSION_KEY) == twofactor.VERIFY:
        return redirect("accounts:otp_verify")
    device = twofactor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(request, device, form.cleaned_data["code"])
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return render(request, "registration/locked.html", status=429)
        if codes is not None:
            services.audit(request, "otp_enrol", "启用两步验证")
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("code", "验证码不正确，请输入身份验证器中当前显示的 6 位数字。")
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device),
            "required": twofactor.required_for(request.user),
        },
    )


def security(request):
    """账号安全: two-factor status, new recovery codes, turning it off where allowed."""
    user = request.user
    enrolled = user_has_device(user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "codes" and enrolled:
            codes = twofactor.new_recovery_codes(user)
            services.audit(request, "otp_codes", "重新生成恢复码")
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        if action == "disable" and enrolled and not twofactor.required_for(user):
            twofactor.remove_devices(user)
            services.audit(request, "otp_disable", "关闭两步验证")
            messages.success(request, "已关闭两步验证。")
            return redirect("accounts:security")
        messages.error(request, "无法执行该操作。")
        return redirect("accounts:security")
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": enrolled,
            "required": twofactor.required_for(user),
            "left": twofactor.remaining_recovery_codes(user) if enrolled else 0,
        },
    )
