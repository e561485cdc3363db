// The workflows list's ... menus; "Copy JSON" in one puts the workflow's JSON on the clipboard.
// navigator.clipboard needs a secure context (HTTPS or localhost); elsewhere the JSON is
// copied through a selected textarea, and if even that is refused it is shown selected
// so that Ctrl+C copies it.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallback(text); });
    }
    return Promise.resolve(fallback(text));
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    area.remove();
    return copied;
  }

  function announce(text, fallbackJson) {
    var box = document.getElementById("copy-status");
    if (!box) {
      box = document.createElement("div");
      box.id = "copy-status";
      box.setAttribute("role", "status");
      box.className = "message";
      document.querySelector("main").prepend(box);
    }
    box.textContent = text;
    if (fallbackJson) {
      var area = document.createElement("textarea");
      area.className = "json-input";
      area.rows = 10;
      area.readOnly = true;
      area.value = fallbackJson;
      box.appendChild(area);
      area.select();
    }
  }

  // A ... menu closes when something in it is chosen or when the click is elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      var inside = menu.contains(event.target);
      if (!inside || event.target.closest("[role=menuitem]")) menu.open = false;
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-json]");
    if (!button) return;
    var menu = button.closest("details");
    if (menu) menu.open = false;
    fetch(button.dataset.copyJson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (json) {
        return copyText(json).then(function (copied) {
          if (copied) announce("Copied the workflow's JSON to the clipboard.");
          else announce("The browser refused the clipboard: press Ctrl+C to copy the selected JSON.", json);
        });
      })
      .catch(function (error) { announce("Could not fetch the workflow's JSON (" + error.message + ")."); });
  });

  // One dialog at a time: opening the run panel closes a dialog, and the reverse.
  document.addEventListener("htmx:afterSwap", function (event) {
    var other = { "list-dialog": "run-panel", "run-panel": "list-dialog" }[event.detail.target.id];
    var box = other && document.getElementById(other);
    if (box) box.replaceChildren();
  });
})();
