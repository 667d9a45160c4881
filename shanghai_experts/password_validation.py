"""Password rule of the bureau's security policy (等保2.0 三级): at least three of the four
character classes — upper-case, lower-case, digits, symbols."""

import string

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", lambda c: c.isascii() and c.isupper()),
    ("小写字母", lambda c: c.isascii() and c.islower()),
    ("数字", lambda c: c.isdigit()),
    ("符号", lambda c: c in string.punctuation or (not c.isalnum() and not c.isspace())),
)


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        used = [name for name, test in CLASSES if any(test(c) for c in password)]
        if len(used) < self.min_classes:
            missing = "、".join(name for name, _ in CLASSES if name not in used)
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类"
                f"（还缺：{missing}）。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"密码须包含大写字母、小写字母、数字、符号中的至少 {self.min_classes} 类。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with its message in Chinese (the zh-hans catalogue lacks this one)."""

    def get_error_message(self):
        return f"密码太短：至少 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少 {self.min_length} 个字符。"


class ContainsNameValidator:
    """The password must not contain the login name (`fudan` → `Fudan@2026`) or the
    organisation's name or short name: the first things an attacker tries."""

    MIN_LENGTH = 3  # shorter names would forbid half the alphabet

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.casefold()
        organisation = getattr(user, "organisation", None)
        names = [
            ("登录名", getattr(user, "username", "")),
            ("单位简称", getattr(organisation, "short_name", "") if organisation else ""),
            ("单位名称", getattr(organisation, "name", "") if organisation else ""),
        ]
        for label, name in names:
            name = (name or "").strip().casefold()
            if len(name) >= self.MIN_LENGTH and name in lowered:
                raise ValidationError(f"密码不能包含{label}。", code="password_contains_name")

    def get_help_text(self):
        return "密码不能包含登录名或单位名称。"
