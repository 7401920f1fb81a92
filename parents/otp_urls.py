from django.urls import path

from . import otp_views

app_name = "otp"

urlpatterns = [
    path("configurer/", otp_views.OTPSetupView.as_view(), name="setup"),
    path("verifier/", otp_views.OTPVerifyView.as_view(), name="verify"),
]
