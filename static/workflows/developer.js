// Developer mode and Import JSON: Copy puts the JSON on the system clipboard, Paste
// replaces it with the clipboard's text, and after a JSON syntax error the cursor is put
// where the JSON breaks. navigator.clipboard needs a secure context (HTTPS or localhost);
// elsewhere Copy selects the text and uses the older copy command, and Paste asks the
// user to press Ctrl+V.
(function () {
  "use strict";

  function status(text) {
    var box = document.getElementById("developer-status");
    if (box) box.textContent = text;
  }

  function legacyCopy(area) {
    area.focus();
    area.select();
    try { return document.execCommand("copy"); } catch (error) { return false; }
  }

  function showSyntaxError() {
    var area = document.querySelector("textarea[data-error-line]");
    if (!area) return;
    var lines = area.value.split("\n");
    var line = Math.min(parseInt(area.dataset.errorLine, 10), lines.length);
    var offset = 0;
    for (var i = 0; i < line - 1; i++) offset += lines[i].length + 1;
    offset += Math.max(parseInt(area.dataset.errorColumn, 10) - 1, 0);
    area.focus();
    area.setSelectionRange(offset, Math.min(offset + 1, area.value.length));
    // Scroll the textarea so that the line is in view.
    var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max((line - 3) * lineHeight, 0);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showSyntaxError);
  else showSyntaxError();

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-from]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copyFrom);
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(
          function () { status("Copied to the clipboard."); },
          function () { status(legacyCopy(source) ? "Copied to the clipboard." : "Press Ctrl+C to copy the selected JSON."); }
        );
      } else {
        status(legacyCopy(source) ? "Copied to the clipboard." : "Press Ctrl+C to copy the selected JSON.");
      }
      return;
    }
    var paste = event.target.closest("[data-paste-into]");
    if (paste) {
      var target = document.getElementById(paste.dataset.pasteInto);
      if (navigator.clipboard && navigator.clipboard.readText && window.isSecureContext) {
        navigator.clipboard.readText().then(
          function (text) { target.value = text; status("Pasted from the clipboard; apply to check it."); },
          function () { target.focus(); target.select(); status("The browser refused: press Ctrl+V to paste."); }
        );
      } else {
        target.focus();
        target.select();
        status("Press Ctrl+V to paste.");
      }
    }
  });
})();
