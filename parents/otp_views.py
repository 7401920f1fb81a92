"""Staff second factor: enrolment (TOTP + backup codes) and verification. Stubs for now."""

from django.http import HttpResponse
from django.views import View


class OTPSetupView(View):
    def get(self, request):
        return HttpResponse("setup")


class OTPVerifyView(View):
    def get(self, request):
        return HttpResponse("verify")
