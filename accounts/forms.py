"""Forms of the account pages; every message is in Chinese and names its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.template.loader import render_to_string

from records import outbox
from shanghai_experts.auth import clean_username
from shanghai_experts.forms import HalfWidthCharField
from shanghai_experts.models import Organisation, User
from shanghai_experts.text import normalise_uscc
from shanghai_experts.validators import validate_mobile, validate_uscc

LOGIN_NAME = RegexValidator(
    r"^[A-Za-z0-9_.@+-]{3,40}$",
    "登录名用 3–40 个英文字母、数字或 _ . @ + -，例如 zhangsan 或统一社会信用代码。",
)


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            continue
        base = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", base)


def check_login_name_free(username: str) -> str:
    username = clean_username(username).strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError("该登录名已被使用，请换一个。")
    return username


def district_name(office: Organisation) -> str:
    """A district office shown as its district: 长宁区人社局 -> 长宁区."""
    short = (office.short_name or "").removesuffix("人社局")
    if short:
        return short
    name = office.name.removeprefix("上海市")
    for suffix in ("人力资源和社会保障局", "人社局"):
        name = name.removesuffix(suffix)
    return name or office.name


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return district_name(obj)


class RegistrationForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=120, help_text="与公章一致的全称。")
    uscc = HalfWidthCharField(
        label="统一社会信用代码",
        max_length=40,
        help_text=(
            "18 位，印在营业执照，或事业单位法人证书、社会团体法人登记证书等登记证书的正本和副本上"
            "（“统一社会信用代码”一栏）；也可在国家企业信用信息公示系统或“信用中国”查询。"
        ),
    )
    district = DistrictChoiceField(
        label="所在区",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.DISTRICT, is_active=True),
        empty_label="— 请选择本单位所在的区 —",
        help_text="注册由该区人社局审核（市级单位也选择所在的区，市人社局同样可以审核）。",
    )
    commission = forms.ModelChoiceField(
        label="行业主管部门",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.COMMISSION, is_active=True),
        required=False,
        empty_label="— 无 / 不选择 —",
    )
    contact_name = forms.CharField(label="联系人", max_length=40)
    mobile = HalfWidthCharField(label="手机", max_length=20, validators=[validate_mobile])
    email = forms.EmailField(label="电子邮箱", help_text="激活链接和审核结果发往此邮箱。")
    username = forms.CharField(label="登录名", max_length=40, validators=[LOGIN_NAME])
    password1 = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        #: The password rules, listed on the page before the first attempt (the validators' own
        #: texts, so the list and the check cannot drift apart).
        self.password_rules = password_validation.password_validators_help_texts()
        self.fields["password1"].widget.attrs["aria-describedby"] = "password-rules"
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        existing = Organisation.objects.filter(name=name).first()
        if existing is not None:
            raise ValidationError(
                f"「{name}」已注册。请联系本单位已有账号的同事，在“本单位账号”中邀请您。"
            )
        return name

    def clean_uscc(self):
        code = normalise_uscc(self.cleaned_data["uscc"])
        validate_uscc(code)
        if Organisation.objects.filter(uscc=code).exists():
            # The unit is not named: anyone may type a code here.
            raise ValidationError(
                "该统一社会信用代码已经注册，不要重复注册。请向本单位已有账号的同事申请，由其在"
                "“本单位账号”中邀请您；不知道谁在使用的，请联系所在区人社局查询。"
            )
        return code

    def clean_username(self):
        return check_login_name_free(self.cleaned_data["username"])

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1:
            probe = User(
                username=data.get("username", ""),
                first_name=data.get("contact_name", ""),
                email=data.get("email", ""),
                organisation=Organisation(name=data.get("name", ""), short_name=""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        data["password"] = p1
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核结果",
        choices=[("approve", "通过"), ("reject", "不予通过")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label="不予通过的原因",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="不予通过时必填；原因会发给该单位。",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "不予通过时请填写原因。")
        return data


class InviteForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=40)
    username = forms.CharField(label="登录名", max_length=40, validators=[LOGIN_NAME])
    email = forms.EmailField(label="电子邮箱", help_text="激活链接发往此邮箱，由本人设置密码。")
    mobile = HalfWidthCharField(
        label="手机", max_length=20, required=False, validators=[validate_mobile]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_username(self):
        return check_login_name_free(self.cleaned_data["username"])


class ActivationForm(SetPasswordForm):
    """The first password, chosen by its owner through the activation link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "设置密码"
        self.fields["new_password2"].label = "确认密码"
        _bootstrap(self)


class ChineseSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "确认新密码"
        _bootstrap(self)


class ChinesePasswordResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "注册邮箱"
        self.fields["email"].error_messages["invalid"] = "请输入有效的电子邮箱地址。"
        self.fields["email"].error_messages["required"] = "请输入注册邮箱。"
        _bootstrap(self)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Through the outbox like every notice: a mail outage delays the link, never loses it."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        outbox.queue([to_email], subject, render_to_string(email_template_name, context))


class CodeForm(forms.Form):
    code = HalfWidthCharField(
        label="验证码",
        max_length=20,
        help_text="身份验证器 App 中的 6 位数字，或一个恢复码。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        )


class OnboardingUploadForm(forms.Form):
    file = forms.FileField(label="单位名单（.xlsx）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
