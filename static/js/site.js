/* Small behaviours shared by every page, kept out of the HTML so a strict
   Content-Security-Policy needs no 'unsafe-inline'. Each is progressive enhancement:
   without JavaScript the page still works (a "Go" button, a selectable text). */
(function () {
  "use strict";

  // <select data-autosubmit>: send its form as soon as a choice is made.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });

  // <button data-copy="#id-or-text-holder">: copy the text of the target (or its value).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) {
      return;
    }
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    var text = "value" in target && target.value !== undefined ? target.value : target.textContent;
    text = String(text).trim();
    var done = function () {
      var label = button.getAttribute("data-copied");
      if (label) {
        button.textContent = label;
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      // Plain http on a phone in the LAN: the old way still works.
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "sr-only";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy");
        done();
      } catch (e) {
        /* the text stays selectable by hand */
      }
      document.body.removeChild(area);
    }
  });
})();
