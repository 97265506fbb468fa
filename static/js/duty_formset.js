/* "Add a duty" on the duty-list revision page: clones the formset's empty form.
   Progressive enhancement only — without JavaScript the page still offers one
   blank row per submit. */
(function () {
  "use strict";
  var button = document.querySelector("[data-add-row]");
  var template = document.getElementById("duty-row-template");
  var rows = document.getElementById("duty-rows");
  var total = document.querySelector("input[name='duties-TOTAL_FORMS']");
  if (!button || !template || !rows || !total) {
    return;
  }
  document.documentElement.classList.add("js");
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    // Suggest the next free number: one past the highest number on the page.
    var highest = 0;
    rows.querySelectorAll("input[name$='-number']").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (value > highest) {
        highest = value;
      }
    });
    var number = row.querySelector("input[name$='-number']");
    if (number) {
      number.value = String(highest + 1);
    }
    var title = row.querySelector("input[name$='-title']");
    if (title) {
      title.focus();
    }
  });
})();
