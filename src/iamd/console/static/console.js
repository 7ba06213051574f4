// iamd console: a little progressive enhancement. Every page works without it.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var csrf = token ? token.getAttribute("content") : "";

  // Policy editors: Access Analyzer-style findings as the user types.
  function renderFindings(box, findings) {
    box.textContent = "";
    findings.forEach(function (f) {
      var p = document.createElement("p");
      p.className = "finding finding-" + f.type.toLowerCase();
      var strong = document.createElement("strong");
      strong.textContent = f.type;
      p.appendChild(strong);
      var where = f.line ? " (line " + f.line + ", column " + f.column + ")" : "";
      p.appendChild(document.createTextNode(" " + f.code + where + ": " + f.message));
      box.appendChild(p);
    });
  }
  document.querySelectorAll("textarea[data-validate]").forEach(function (area) {
    var box = document.getElementById(area.getAttribute("data-findings"));
    if (!box) return;
    var timer = null, seq = 0;
    function check() {
      var mine = ++seq;
      if (!area.value.trim()) { renderFindings(box, []); return; }
      fetch("/console/api/validate", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ document: area.value, kind: area.getAttribute("data-validate") })
      }).then(function (r) { return r.json(); }).then(function (body) {
        if (mine === seq && body.findings) renderFindings(box, body.findings);
      }).catch(function () {});
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
  });

  // Create-role wizard: show only the fields of the chosen trusted entity.
  var wizard = document.querySelector("form[data-wizard]");
  if (wizard) {
    var sync = function () {
      var chosen = wizard.querySelector('input[name="kind"]:checked');
      var kind = chosen ? chosen.value : "service";
      wizard.querySelectorAll("fieldset[data-kind]").forEach(function (set) {
        set.hidden = set.getAttribute("data-kind") !== kind;
      });
    };
    wizard.querySelectorAll('input[name="kind"]').forEach(function (r) {
      r.addEventListener("change", sync);
    });
    sync();
  }

  // Filter a long list of checkboxes by name.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var needle = input.value.toLowerCase();
      list.querySelectorAll("[data-name]").forEach(function (row) {
        row.hidden = needle && row.getAttribute("data-name").indexOf(needle) < 0;
      });
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  });

  document.querySelectorAll("[data-back]").forEach(function (b) {
    b.addEventListener("click", function () { history.back(); });
  });

  // After an error, move focus to it so keyboard and screen-reader users hear it first.
  var error = document.querySelector('[role="alert"]');
  if (error) { error.setAttribute("tabindex", "-1"); error.focus(); }
})();
