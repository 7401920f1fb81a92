/*
 * Online card payment of the balance.
 *
 * Payment page: Stripe's card field → a PaymentMethod (or, with localstripe's stand-in
 * Stripe.js, a token's card) → our server creates and confirms the PaymentIntent for the
 * amount it computed → when the bank asks for 3-D Secure, Stripe.js runs it → result page.
 * The card number goes from Stripe's field to Stripe only; we send no amount.
 *
 * Result page: while the payment is processing, ask the server every few seconds and
 * reload the page once its status changes.
 */
(function () {
  'use strict';

  const POLL_INTERVAL_MS = 3000;
  const POLL_MAX_TRIES = 40;

  function setupPaymentForm(form) {
    const errors = document.getElementById('payment-errors');
    const progress = document.getElementById('payment-progress');
    const submit = document.getElementById('payment-submit');
    const messages = form.dataset;

    if (typeof window.Stripe !== 'function') {
      errors.textContent = messages.messageUnreachable;
      return;
    }
    const stripe = window.Stripe(messages.stripeKey);
    const elements = stripe.elements({ locale: document.documentElement.lang || 'fr' });
    const card = elements.create('card', { hidePostalCode: true });
    card.mount('#card-element');
    card.on('change', function (event) {
      errors.textContent = event && event.error ? event.error.message : '';
    });
    submit.disabled = false;
    let busy = false;

    function fail(message) {
      errors.textContent = message || messages.messageIncomplete;
      progress.textContent = '';
      busy = false;
      submit.disabled = false;
    }

    async function paymentMethodId() {
      let result;
      try {
        result = await stripe.createPaymentMethod({ type: 'card', card: card });
      } catch (error) {
        result = undefined;
      }
      if (result && result.error) {
        throw result.error;
      }
      if (result && result.paymentMethod) {
        return result.paymentMethod.id;
      }
      // localstripe's Stripe.js has no PaymentMethods: it tokenises the card instead.
      let tokenResult;
      try {
        tokenResult = await stripe.createToken(card);
      } catch (error) {
        throw { message: messages.messageIncomplete };
      }
      if (tokenResult.error) {
        throw tokenResult.error;
      }
      return tokenResult.token.card.id;
    }

    async function confirm(method) {
      const response = await fetch(messages.confirmUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          'X-CSRFToken': form.querySelector('[name="csrfmiddlewaretoken"]').value,
        },
        body: JSON.stringify({ attempt: messages.attempt, payment_method: method }),
      });
      const answer = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        throw { message: answer.error || messages.messageUnreachable };
      }
      return answer;
    }

    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      // One request per click, even a double one; the server reuses the attempt anyway.
      if (busy) {
        return;
      }
      busy = true;
      submit.disabled = true;
      errors.textContent = '';
      progress.textContent = messages.messageWorking;

      let answer;
      try {
        answer = await confirm(await paymentMethodId());
      } catch (error) {
        fail(error && error.message);
        return;
      }
      if (answer.status === 'requires_action' && answer.client_secret) {
        try {
          if (typeof stripe.handleNextAction === 'function') {
            await stripe.handleNextAction({ clientSecret: answer.client_secret });
          } else {
            await stripe.confirmCardPayment(answer.client_secret);
          }
        } catch (error) {
          // Whatever happened, the result page asks Stripe for the outcome.
        }
      }
      window.location.assign(answer.result_url);
    });
  }

  function setupStatusPolling(node) {
    let tries = 0;
    const timer = window.setInterval(async function () {
      tries += 1;
      if (tries > POLL_MAX_TRIES) {
        window.clearInterval(timer);
        node.textContent = node.dataset.messageWaiting;
        return;
      }
      try {
        const response = await fetch(node.dataset.statusUrl, {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
        const data = await response.json();
        if (!data.open || data.status !== node.dataset.status) {
          window.clearInterval(timer);
          window.location.reload();
        }
      } catch (error) {
        // Asked again at the next tick.
      }
    }, POLL_INTERVAL_MS);
  }

  const form = document.getElementById('payment-form');
  if (form) {
    setupPaymentForm(form);
  }
  const status = document.getElementById('payment-status');
  if (status && status.dataset.statusUrl) {
    setupStatusPolling(status);
  }
})();
