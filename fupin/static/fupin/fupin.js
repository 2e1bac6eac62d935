// Behaviour the pages used to write inline (onchange=, onclick=): the Content-Security-Policy runs no inline
// script, so elements ask for it with data attributes and this file, loaded by every page, provides it.
//   <select data-autosubmit>  submits its form when its value changes (year, county, stage, language pickers)
//   <button data-print>       opens the browser's print dialog
//   <button data-confirm="…"> asks the question before its form is sent (irreversible steps); Cancel sends nothing
//   <input data-income="add|subtract">, <input data-income-size="N">, <output data-per-capita>: the income form's
//                             per-person figure, (incomes − productive expenditure) ÷ persons, as the amounts are typed
//   <meta name="fupin-replace-url">  the address the history keeps instead of this one (an ID number searched for
//                             is replaced by a session token: fupin.core.id_queries)
//   htmx requests the server refuses (403, 409 conflict, 422, 429, 503) or the network loses: the server's own message
//                             (or what happened) shown at the top of the page, never a silent nothing
(function () {
  "use strict";
  var replaceUrl = document.querySelector('meta[name="fupin-replace-url"]');
  if (replaceUrl && window.history && history.replaceState) {
    history.replaceState(history.state, "", replaceUrl.getAttribute("content"));
  }
  function cents(value) {
    var m = /^\s*(\d{1,12})(?:\.(\d{0,2}))?\s*$/.exec(value || "");
    return m ? Number(m[1]) * 100 + Number(((m[2] || "") + "00").slice(0, 2)) : (value && value.trim() ? NaN : 0);
  }
  function perCapita(form) {
    var out = form.querySelector("output[data-per-capita]");
    if (!out) return;
    var total = 0;
    form.querySelectorAll("[data-income]").forEach(function (input) {
      total += (input.getAttribute("data-income") === "subtract" ? -1 : 1) * cents(input.value);
    });
    var size = form.querySelector("[data-income-size]");
    var persons = size ? Number(size.value || size.getAttribute("data-income-size")) : 0;
    if (isNaN(total) || !(persons >= 1)) { out.textContent = "—"; return; }
    var each = Math.round(total / persons) / 100;
    out.textContent = each.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }
  function refreshAll() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("output[data-per-capita]")) perCapita(form);
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.form && (event.target.matches("[data-income]") || event.target.matches("[data-income-size]"))) {
      perCapita(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", refreshAll);
  document.addEventListener("htmx:afterSettle", refreshAll);
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var asker = (event.submitter && event.submitter.closest("[data-confirm]")) || event.target.closest("[data-confirm]");
    if (asker && !window.confirm(asker.getAttribute("data-confirm"))) event.preventDefault();
  });
  function english() {
    return (document.documentElement.lang || "").indexOf("en") === 0;
  }
  function showProblem(text) {
    var main = document.getElementById("main") || document.body;
    var box = main.querySelector(".htmx-problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "notice htmx-problem";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var found = doc.querySelector("main [role=alert], main .errors, main .conflict, main p, h1");
    var text = found ? found.textContent.replace(/\s+/g, " ").trim() : "";
    showProblem(text || (english()
      ? "The request was not completed (" + xhr.status + "). Reload the page and try again."
      : "操作未完成（" + xhr.status + "），请刷新页面后重试。"));
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem(english() ? "No connection to the server. Check the network and try again."
                          : "连不上服务器，请检查网络后重试。");
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
