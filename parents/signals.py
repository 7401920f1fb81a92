from django.utils import timezone


def record_login(sender, request, user, **kwargs):
    """Keep the date of the previous login before recording this one ("Infos Connexion")."""
    user.previous_login = user.last_login
    user.last_login = timezone.now()
    user.save(update_fields=["previous_login", "last_login"])
    if request is not None and hasattr(request, "session"):
        request.session["login_at"] = int(user.last_login.timestamp())
