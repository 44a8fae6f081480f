// Skip logic on the answer form, as a convenience: questions whose condition is not met
// are hidden while answering. Without JavaScript they stay visible with their condition in
// words, and the server ignores answers to skipped questions either way.
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) { return; }
  var conditional = form.querySelectorAll("fieldset[data-show-if]");
  if (!conditional.length) { return; }
  function chosen(qid) {
    var picked = [];
    form.querySelectorAll('[name="q' + qid + '"]').forEach(function (input) {
      if (input.checked) { picked.push(input.value); }
    });
    return picked;
  }
  function update() {
    conditional.forEach(function (fs) {
      var source = document.getElementById("q" + fs.dataset.showIf);
      var wanted = (fs.dataset.showOptions || "").split(",");
      var visible = !!source && !source.hidden && chosen(fs.dataset.showIf).some(function (v) {
        return wanted.indexOf(v) !== -1;
      });
      fs.hidden = !visible;
    });
  }
  form.addEventListener("change", update);
  update();
}());
