"""Activation links: one use, and they expire after ACCOUNT_ACTIVATION_DAYS.

Django's password-reset tokens already sign (user, password hash, time) with the secret key;
an activation link is such a token with its own salt and lifetime. It stops working once used,
because using it sets a password or clears `awaiting_activation`, and both are in the hash.
The last login is left out: a self-registered unit may log in to see its status before it
activates, and that must not spoil the link.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.password}{user.awaiting_activation}{user.email}{timestamp}"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _ = str(token).split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= settings.ACCOUNT_ACTIVATION_DAYS * 24 * 3600


activation_token = ActivationTokenGenerator()
