/* Enhancements only: every page works without this script.
   - the family menu folds behind a "Menu" button on small screens;
   - the service worker (offline page, static files) is registered. */
(function () {
  "use strict";

  var SMALL = window.matchMedia("(max-width: 47.99rem)");

  function setUpMenu(menu) {
    var button = menu.querySelector(".family-menu__toggle");
    var items = document.getElementById(button.getAttribute("aria-controls"));

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      items.hidden = !open;
    }

    function fit() {
      // Wide screens keep the menu open beside the page, with no button.
      button.hidden = !SMALL.matches;
      show(!SMALL.matches);
    }

    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && SMALL.matches && !items.hidden) {
        show(false);
        button.focus();
      }
    });
    if (SMALL.addEventListener) {
      SMALL.addEventListener("change", fit);
    }
    fit();
  }

  function ready() {
    var menu = document.querySelector("[data-family-menu]");
    if (menu) {
      setUpMenu(menu);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch(function () {
        // No offline page then; the site itself works the same.
      });
    });
  }
})();
