// Invoice form of the admin: each line's child list offers only the children of the family
// chosen above. The server lists them once the family is known (a draft's, or the page
// opened for one); when the family chooser sets another, its children are read from the
// same page opened for that family, and every line's list (and the one of lines added
// later) is replaced. The server refuses another family's child anyway.
(function () {
  "use strict";
  const CHILD_SELECTS = 'select[name^="lines-"][name$="-child"]';
  const EMPTY_LINE = "id_lines-EMPTY_FORM_TEMPLATE";
  // The children read for the family last chosen: lines added later get them when used.
  let offered = null;

  function childLists(root) {
    return Array.from(root.querySelectorAll(CHILD_SELECTS));
  }

  function offer(select, options) {
    const kept = select.value;
    select.replaceChildren(...options.map((option) => option.cloneNode(true)));
    select.value = options.some((option) => option.value === kept) ? kept : "";
  }

  async function offerChildrenOf(family) {
    const url = new URL(window.location.href);
    url.searchParams.set("family", family);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(CHILD_SELECTS);
    if (!fresh) return;
    offered = Array.from(fresh.options);
    childLists(document).forEach((select) => offer(select, offered));
    const template = document.getElementById(EMPTY_LINE);
    if (template) {
      childLists(template.content).forEach((select) => offer(select, offered));
    }
  }

  // Lines added on the page: their list is replaced when it is first used.
  document.addEventListener("focusin", function (event) {
    const select = event.target;
    if (offered && select.matches && select.matches(CHILD_SELECTS)) {
      const current = Array.from(select.options, (option) => option.value).join();
      if (current !== offered.map((option) => option.value).join()) offer(select, offered);
    }
  });

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (input.name === "family" && input.value && !input.disabled) {
      offerChildrenOf(input.value);
    }
  });
})();
