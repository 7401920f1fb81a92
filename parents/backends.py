from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the identifiant sent by the centre, or with the email address.

    An address shared by several logins (two guardians with one mailbox) is ambiguous, so
    only the identifiant works for them.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        UserModel = get_user_model()
        username = username.strip()
        user = UserModel._default_manager.filter(username__iexact=username).first()
        if user is None and "@" in username:
            matches = list(UserModel._default_manager.filter(email__iexact=username)[:2])
            if len(matches) == 1:
                user = matches[0]
        if user is None:
            # Same cost as a real check, so timing does not reveal which identifiants exist.
            UserModel().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
