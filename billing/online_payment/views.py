"""Online card payment: the family's payment and result pages, and the Stripe webhook.

The browser only ever sends which attempt to pay and the id of the card Stripe.js
tokenised; the amount is the attempt's, set by the server from the balance (or, where the
structure allows it, typed by the parent on the payment page and checked by the services).
Card numbers never reach this server: they go from Stripe's card field straight to Stripe.
"""

import json
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import View

from parents.views import FamilyAreaMixin, FamilyPageView

from ..ledger.services import family_balance
from . import gateway
from . import services as payments
from .forms import PaymentAmountForm
from .models import PaymentAttempt

logger = logging.getLogger(__name__)

# What Stripe.js hands over: a PaymentMethod (pm_) or, from a token, its card (card_).
# Matched whole with fullmatch: "$" would also accept a trailing newline.
PAYMENT_METHOD_ID = re.compile(r"(pm|card)_[A-Za-z0-9_]{1,250}")
UNREACHABLE = _("The payment service cannot be reached. Please try again in a few minutes.")


class PaymentView(FamilyPageView):
    """The payment page: the amount (the whole balance, not editable, by default) and
    Stripe's card field.

    Where the structure lets parents choose the amount, the page first offers the balance in
    a field the parent may change ("amount"), and the card step has a link back to it
    (`?modifier=1`). Elsewhere no amount is asked, and one posted all the same is ignored.

    A GET only reads: it shows the attempt to pay if there is one, else the amount and a
    button. The attempt (a row, and later a PaymentIntent at Stripe) is created on POST
    only, so a prefetching browser, a crawler or a forged image link creates nothing.
    """

    template_name = "billing/payment/pay.html"
    menu_url_name = "billing:account"
    page_title = _("Online payment")
    CHANGE_AMOUNT = "modifier"

    def get(self, request, *args, **kwargs):
        refused = self.prepare()
        if refused is not None:
            return refused
        self.form = None
        if self.free_amount and (self.attempt is None or self.CHANGE_AMOUNT in request.GET):
            initial = self.attempt.amount if self.attempt is not None else self.balance
            self.form = self.amount_form(initial={"amount": str(initial).replace(".", ",")})
        return super().get(request, *args, **kwargs)

    def prepare(self):
        """Read where the family stands; a redirect when there is nothing to pay here."""
        try:
            payments.refresh_open_attempt(self.family)
        except gateway.GatewayError as exc:
            logger.warning("Payment page unavailable for family %s: %s", self.family.pk, exc)
            messages.error(self.request, UNREACHABLE)
            return redirect("billing:account")
        self.attempt = payments.payable_attempt(self.family)
        if self.attempt is not None and self.attempt.status == PaymentAttempt.Status.PROCESSING:
            return redirect("billing:payment-result", self.attempt.pk)
        self.balance = family_balance(self.family)
        self.free_amount = payments.free_amount_allowed(self.family.structure)
        if self.attempt is None:
            offer = payments.online_payment_offer(self.family, self.balance)
            if not offer.available:
                messages.info(self.request, offer.reason)
                return redirect("billing:account")
        return None

    def amount_form(self, data=None, **kwargs):
        return PaymentAmountForm(data, family=self.family, balance=self.balance, **kwargs)

    def post(self, request, *args, **kwargs):
        amount = None
        if payments.free_amount_allowed(self.family.structure):
            if "amount" not in request.POST:
                # The account page's button: the amount is asked first, nothing opened yet.
                return redirect("billing:payment")
            refused = self.prepare()
            if refused is not None:
                return refused
            self.form = self.amount_form(request.POST)
            if not self.form.is_valid():
                # Shown again with its error; no attempt is opened for a refused amount.
                return self.render_to_response(self.get_context_data())
            amount = self.form.cleaned_data["amount"]
        # Without the structure's option, an "amount" in the request is ignored: the
        # attempt is for the whole balance.
        try:
            payments.refresh_open_attempt(self.family)
            attempt = payments.start_payment_attempt(self.family, self.guardian, amount)
        except payments.PaymentNotAllowed as exc:
            messages.info(request, exc.messages[0])
            return redirect("billing:account")
        except gateway.GatewayError as exc:
            logger.warning("Payment page unavailable for family %s: %s", self.family.pk, exc)
            messages.error(request, UNREACHABLE)
            return redirect("billing:account")
        if attempt.status == PaymentAttempt.Status.PROCESSING:
            return redirect("billing:payment-result", attempt.pk)
        return redirect("billing:payment")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            attempt=self.attempt,
            balance=self.balance,
            form=self.form,
            free_amount=self.free_amount,
            change_amount_url=f"{reverse('billing:payment')}?{self.CHANGE_AMOUNT}=1",
            stripe_js_url=settings.STRIPE_JS_URL,
            stripe_publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            confirm_url=reverse("billing:payment-confirm"),
            active_tab="account",
        )
        return context


class PaymentConfirmView(FamilyAreaMixin, View):
    """POST (JSON) from payment.js: create and confirm the attempt's PaymentIntent.

    Answers the attempt's status and where to go next; with 3-D Secure to do, also the
    PaymentIntent's client secret, which Stripe.js needs to run it.
    """

    def post(self, request):
        try:
            data = json.loads(request.body)
            attempt_id = int(data["attempt"])
            payment_method = str(data["payment_method"])
        except (ValueError, TypeError, KeyError):
            return JsonResponse({"error": str(_("Invalid request."))}, status=400)
        # Any other key (an "amount" above all) is ignored: the attempt fixes the amount.
        if not PAYMENT_METHOD_ID.fullmatch(payment_method):
            return JsonResponse({"error": str(_("Invalid request."))}, status=400)
        if not gateway.is_configured():
            raise Http404
        try:
            attempt, intent = payments.confirm_payment_attempt(
                self.family, attempt_id, payment_method
            )
        except PaymentAttempt.DoesNotExist:
            logger.warning(
                "Denied payment attempt %s to user %s (family %s)",
                attempt_id,
                request.user.pk,
                self.family.pk,
            )
            raise Http404 from None
        except gateway.GatewayError as exc:
            logger.warning("Confirming attempt %s failed: %s", attempt_id, exc)
            return JsonResponse({"error": str(UNREACHABLE)}, status=503)
        body = {
            "status": attempt.status,
            "result_url": reverse("billing:payment-result", args=[attempt.pk]),
        }
        if attempt.status == PaymentAttempt.Status.REQUIRES_ACTION and intent:
            body["client_secret"] = intent["client_secret"]
        return JsonResponse(body)


class AttemptMixin(FamilyAreaMixin):
    def get_attempt(self, pk):
        attempt = PaymentAttempt.objects.for_family(self.family).filter(pk=pk).first()
        if attempt is None:
            logger.warning(
                "Denied payment attempt %s to user %s (family %s)",
                pk,
                self.request.user.pk,
                self.family.pk,
            )
            raise Http404
        return payments.refresh_attempt(attempt)


class PaymentResultView(AttemptMixin, FamilyPageView):
    """Paid (and the new balance), declined (why, and try again), or still processing."""

    template_name = "billing/payment/result.html"
    menu_url_name = "billing:account"
    page_title = _("Online payment")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attempt = self.get_attempt(self.kwargs["pk"])
        balance = family_balance(self.family)
        context.update(
            attempt=attempt,
            balance=balance,
            credit=-balance,
            offer=payments.online_payment_offer(self.family, balance),
            failure_reason=payments.failure_reason(attempt)
            if attempt.status in (PaymentAttempt.Status.FAILED, PaymentAttempt.Status.CANCELED)
            else "",
            status_url=reverse("billing:payment-status", args=[attempt.pk]),
            active_tab="account",
        )
        return context


class PaymentStatusView(AttemptMixin, View):
    """JSON for the result page's automatic refresh while the payment is processing."""

    def get(self, request, pk):
        attempt = self.get_attempt(pk)
        return JsonResponse({"status": attempt.status, "open": attempt.is_open})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's calls: signature checked, event stored once, then handled (or ignored)."""
    if not gateway.is_configured():
        raise Http404
    try:
        event = gateway.parse_webhook(request.body, request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as exc:
        logger.warning("Refused a Stripe webhook: %s", exc)
        return HttpResponseBadRequest()
    try:
        outcome = payments.record_stripe_event(event)
    except gateway.GatewayError as exc:
        # Nothing was stored: Stripe delivers the event again later.
        logger.error("Stripe event %s not handled, Stripe unreachable: %s", event["id"], exc)
        return HttpResponse(status=503)
    return JsonResponse({"received": True, "outcome": outcome})
