// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so keyboard and screen-reader users hear what to fix.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // The menu: a <details> that works without this file. Here: shown open on wide screens
  // (for browsers without ::details-content), closed by Escape or a click elsewhere.
  var menu = document.getElementById("nav-menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 64rem)");
    var fit = function () { menu.open = wide.matches; };
    fit();
    if (wide.addEventListener) { wide.addEventListener("change", fit); }
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (menu.open && !wide.matches && !menu.contains(e.target)) { menu.open = false; }
    });
  }
  // Filter fields of checkbox lists: shown only here, they hide the choices that do not match
  // (ticked boxes stay visible so nobody loses a choice from sight).
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-list]"), function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) { return; }
    input.parentNode.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(list.children, function (li) {
        var box = li.querySelector("input");
        li.hidden = q !== "" && !(box && box.checked) && li.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  });
  window.participate = window.participate || {};
  window.participate.csrfToken = function () {
    var el = document.querySelector('meta[name="csrf-token"]') || document.querySelector('input[name="csrf_token"]');
    return el ? (el.content || el.value) : "";
  };
})();
