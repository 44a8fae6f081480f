// Discussion enhancements. Every action also works without this file (forms POST and
// redirect back); here votes go by fetch without a page reload, the voting card moves to
// the next statement in place, A / D / P vote on the card, and a debounced request shows
// similar statements while a new one is typed.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function announce(text) {
    var live = document.getElementById("card-live");
    if (live) { live.textContent = text; }
  }

  function showCounts(container, counts) {
    var box = container.querySelector("[data-counts]");
    if (!box) { return; }
    ["agree", "disagree", "pass"].forEach(function (key) {
      var el = box.querySelector('[data-count="' + key + '"]');
      if (el) { el.textContent = counts[key]; }
    });
    box.hidden = false;
    var hint = container.querySelector("[data-counts-hint]");
    if (hint) { hint.hidden = true; }
  }

  var busy = false;

  function submitVote(form, value) {
    if (busy) { return; }
    busy = true;
    // Sent urlencoded, the way the plain form sends it: the server's quick lane for votes
    // reads this body, and a few dozen bytes need no multipart.
    var body = new URLSearchParams(new FormData(form));
    body.set("value", value);
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) {
        busy = false;
        var msg = res.data && res.data.error ? res.data.error.message : "";
        if (res.data && res.data.error && res.data.error.code === "login_required") {
          form.submit();  // the server redirects to the login page
          return;
        }
        showError(form, msg);
        return;
      }
      var card = document.getElementById("vote-card");
      if (card && card.contains(form)) {
        loadNextCard(card);
      } else {
        busy = false;
        var item = form.closest("[data-statement]");
        form.querySelectorAll("button[name=value]").forEach(function (b) {
          b.setAttribute("aria-pressed", b.value === value ? "true" : "false");
        });
        if (item) { showCounts(item, res.data.counts); }
      }
    }).catch(function () {
      busy = false;
      form.submit();  // network trouble: fall back to the plain form
    });
  }

  function showError(form, message) {
    var el = form.querySelector(".vote-error");
    if (!el) {
      el = document.createElement("p");
      el.className = "field-error vote-error";
      el.setAttribute("role", "alert");
      form.appendChild(el);
    }
    el.textContent = message;
  }

  function loadNextCard(card) {
    fetch(card.getAttribute("data-card-url"), {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (resp) { return resp.text(); }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#vote-card");
      if (fresh) {
        card.replaceWith(fresh);
        var text = fresh.querySelector("#card-statement");
        announce(text ? text.textContent.trim() : (fresh.textContent || "").trim());
        var first = fresh.querySelector("button[name=value]");
        if (first) { first.focus({ preventScroll: true }); }
      }
      busy = false;
    }).catch(function () { window.location.reload(); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-vote-form]")) { return; }
    var submitter = event.submitter;
    if (!submitter || submitter.name !== "value") { return; }
    event.preventDefault();
    submitVote(form, submitter.value);
  });

  // Keyboard shortcuts on the voting card: A agree, D disagree, P pass.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var card = document.getElementById("vote-card");
    if (!card) { return; }
    var key = (event.key || "").toLowerCase();
    var button = card.querySelector('button[data-key="' + key + '"]');
    if (!button) { return; }
    event.preventDefault();
    submitVote(button.form, button.value);
  });

  // Live duplicate warning and character count while a statement is written.
  var form = document.querySelector("form[data-similar-url]");
  if (form) {
    var textarea = form.querySelector("textarea");
    var live = document.getElementById("similar-live");
    var counter = form.querySelector("[data-char-count]");
    var timer = null;
    var lastQuery = "";
    var updateCount = function () {
      if (!counter) { return; }
      var max = parseInt(counter.getAttribute("data-max"), 10);
      counter.textContent = textarea.value.trim().length + " / " + max;
    };
    var check = function () {
      var text = textarea.value.trim();
      if (text === lastQuery) { return; }
      lastQuery = text;
      if (text.length < 4) { live.hidden = true; live.textContent = ""; return; }
      var url = form.getAttribute("data-similar-url") + "?text=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.json(); })
        .then(function (data) {
          if (text !== lastQuery) { return; }
          live.textContent = "";
          if (!data.similar || !data.similar.length) { live.hidden = true; return; }
          var heading = document.createElement("p");
          heading.className = "similar-heading";
          heading.textContent = live.getAttribute("data-heading");
          var para = document.createElement("p");
          para.textContent = live.getAttribute("data-text");
          var list = document.createElement("ul");
          data.similar.forEach(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = item.url;
            a.textContent = item.text;
            li.appendChild(a);
            list.appendChild(li);
          });
          live.appendChild(heading);
          live.appendChild(para);
          live.appendChild(list);
          live.hidden = false;
        }).catch(function () { /* the server-side check after submit still warns */ });
    };
    textarea.addEventListener("input", function () {
      updateCount();
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
    updateCount();
  }
})();
