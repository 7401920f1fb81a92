// Invoice form of the admin: each line's child list offers only the children of the family
// chosen above. The server refuses another family's child anyway; this spares the mistake.
(function () {
  "use strict";
  const CHILD_SELECTS = 'select[name^="lines-"][name$="-child"]';

  function chosenFamily() {
    const field = document.querySelector('select[name="family"]');
    return field ? field.value : "";
  }

  function offerFamilyChildren(select) {
    const family = chosenFamily();
    for (const option of select.options) {
      if (!option.value) continue;
      const match = !family || option.dataset.family === family;
      option.hidden = !match;
      option.disabled = !match;
    }
    const selected = select.selectedOptions[0];
    if (selected && selected.disabled) select.value = "";
  }

  function offerAll() {
    document.querySelectorAll(CHILD_SELECTS).forEach(offerFamilyChildren);
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "family") offerAll();
  });
  // Lines added on the page: their list is narrowed when it is first used.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(CHILD_SELECTS)) {
      offerFamilyChildren(event.target);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", offerAll);
  } else {
    offerAll();
  }
})();
