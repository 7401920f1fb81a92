"""Single-use tokens for the links emailed to guardians.

Both kinds hash the user's password and last login (Django's scheme), so a link stops working
as soon as a password has been set with it or the account has been used.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of the "choose your password" link sent with the login details.

    A salt of its own keeps invitation and reset tokens apart, and the lifetime is
    `settings.INVITATION_TIMEOUT` (days) instead of the reset link's hour.
    """

    key_salt = "parents.tokens.InvitationTokenGenerator"

    @property
    def timeout(self):
        return settings.INVITATION_TIMEOUT

    def check_token(self, user, token):
        # Django's implementation hard-wires PASSWORD_RESET_TIMEOUT; same steps, our lifetime.
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= self.timeout


invitation_token_generator = InvitationTokenGenerator()
