// Behaviour the pages used to write inline (onchange=, onclick=): the Content-Security-Policy runs no inline
// script, so elements ask for it with data attributes and this file, loaded by every page, provides it.
//   <select data-autosubmit>  submits its form when its value changes (year, county, stage, language pickers)
//   <button data-print>       opens the browser's print dialog
//   <button data-confirm="…"> asks the question before its form is sent (irreversible steps); Cancel sends nothing
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var asker = (event.submitter && event.submitter.closest("[data-confirm]")) || event.target.closest("[data-confirm]");
    if (asker && !window.confirm(asker.getAttribute("data-confirm"))) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
