from .fake_stripe import dupont, localstripe, localstripe_server, post_webhook  # noqa: F401
