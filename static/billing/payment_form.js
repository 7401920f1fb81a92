// "Record a payment" in the admin: the paying guardian is chosen among the guardians of the
// family chosen above. When the family chooser sets another family, its guardians are read
// from the same page opened for that family, and the list is replaced; what was typed in
// the other fields stays. The server refuses another family's guardian anyway.
(function () {
  "use strict";

  document.addEventListener("change", async function (event) {
    const input = event.target;
    if (input.name !== "family" || !input.form) return;
    const payer = input.form.querySelector('select[name="payer"]');
    if (!payer || !input.value) return;
    const url = new URL(window.location.href);
    url.searchParams.set("family", input.value);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector('select[name="payer"]');
    if (fresh && input.value === url.searchParams.get("family")) {
      payer.replaceChildren(...Array.from(fresh.options, (option) => option.cloneNode(true)));
      payer.value = "";
    }
  });
})();
