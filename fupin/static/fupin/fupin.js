// Behaviour the pages used to write inline (onchange=, onclick=): the Content-Security-Policy runs no inline
// script, so elements ask for it with data attributes and this file, loaded by every page, provides it.
//   <select data-autosubmit>  submits its form when its value changes (year, county, stage, language pickers)
//   <button data-print>       opens the browser's print dialog
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
