// Opinion report: while an analysis is queued or running, poll the status endpoint and
// reload when a newer version is in. The page works without this (it shows a reload hint).
(function () {
  "use strict";
  var box = document.getElementById("analysis-status");
  if (!box || !box.dataset.statusUrl) { return; }
  var url = box.dataset.statusUrl;
  var shown = box.dataset.latestId || "";
  var delay = 3000;
  var started = Date.now();

  function render(data) {
    var p = document.createElement("p");
    p.className = "notice notice-busy";
    if (data.state === "running") {
      var secs = data.running_seconds || 0;
      p.textContent = (box.dataset.runningText || "Updating: started %s s ago").replace("%s", String(secs));
    } else if (data.state === "queued") {
      p.textContent = box.dataset.queuedText || "An update is queued.";
    } else {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(p);
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.latest_id && String(data.latest_id) !== shown) {
          window.location.reload();
          return;
        }
        render(data);
        if (data.state === "running" || data.state === "queued") {
          // Back off gently on long runs; stop after 15 minutes.
          if (Date.now() - started < 15 * 60 * 1000) {
            delay = Math.min(delay * 1.3, 15000);
            window.setTimeout(poll, delay);
          }
        }
      })
      .catch(function () { /* offline: the reload hint stays */ });
  }

  if (box.dataset.state === "running" || box.dataset.state === "queued") {
    window.setTimeout(poll, delay);
  }
})();

// Sections are <details>: a link to a statement (#s12) or to a section opens what holds
// it, and printing the page opens every section.
(function () {
  "use strict";
  function reveal(hash) {
    if (!hash || hash.length < 2) { return; }
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) { return; }
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", function () { reveal(window.location.hash); });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest('a[href^="#"]');
    if (a) { reveal(a.getAttribute("href")); }
  });
  reveal(window.location.hash);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.section"), function (d) { d.open = true; });
  });
})();
