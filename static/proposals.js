// Progressive enhancement for proposals: live similar-title hints and in-place endorsing.
// Every feature also works without this file (the forms post normally).
(function () {
  "use strict";
  var title = document.getElementById("title");
  var box = document.getElementById("similar");
  if (title && box) {
    var timer = null;
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = title.value.trim();
        if (q.length < 2) { return; }
        fetch("/proposals/similar?title=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) {
            box.textContent = "";
            if (!data.items.length) { return; }
            var h = document.createElement("h2");
            h.textContent = box.getAttribute("data-heading") || "相似的提案";
            box.appendChild(h);
            var ul = document.createElement("ul");
            data.items.forEach(function (item) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = item.url; a.textContent = item.title;
              li.appendChild(a);
              li.appendChild(document.createTextNode(" (" + item.status + ")"));
              ul.appendChild(li);
            });
            box.appendChild(ul);
          })
          .catch(function () { /* the check button still works */ });
      }, 400);
    });
  }
})();
