/* Enhancement only: the calendar form works without it.
   - one unit per day: ticking a unit unticks the other units of that day;
   - a live count of the changes ticked, next to the confirm button. */
(function () {
  "use strict";
  var form = document.querySelector("[data-calendar]");
  if (!form) {
    return;
  }
  var counter = form.querySelector("[data-selection-count]");

  function updateCount() {
    if (!counter) {
      return;
    }
    // Every box of the calendar is a change: a unit to book or wait for (one name per
    // child on the family calendar), a booking to cancel, a waiting list to leave.
    var count = form.querySelectorAll('input[type="checkbox"]:checked').length;
    var lang = document.documentElement.lang || "fr";
    if (count === 0) {
      counter.textContent = "";
    } else if (lang.indexOf("fr") === 0) {
      counter.textContent = count + (count > 1 ? " changements sélectionnés" : " changement sélectionné");
    } else {
      counter.textContent = count + (count > 1 ? " changes selected" : " change selected");
    }
  }

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("input[data-book]") && box.checked) {
      var day = box.closest("[data-day]");
      if (day) {
        day.querySelectorAll("input[data-book]").forEach(function (other) {
          if (other !== box) {
            other.checked = false;
          }
        });
      }
    }
    updateCount();
  });
  updateCount();
})();
