// Progressive enhancement for the moderation queue: a "select all" checkbox for bulk actions.
(function () {
  "use strict";
  var table = document.querySelector(".mod-bulk .mod-table");
  if (!table) { return; }
  var boxes = table.querySelectorAll("input[name=items]");
  if (!boxes.length) { return; }
  var head = table.querySelector("thead th");
  var all = document.createElement("input");
  all.type = "checkbox";
  all.setAttribute("aria-label", document.documentElement.lang.indexOf("zh") === 0 ? "全選" : "Select all");
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
  });
  head.appendChild(all);
})();
