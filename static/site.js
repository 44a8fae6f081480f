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
  window.participate = window.participate || {};
  window.participate.csrfToken = function () {
    var el = document.querySelector('meta[name="csrf-token"]') || document.querySelector('input[name="csrf_token"]');
    return el ? (el.content || el.value) : "";
  };
})();
