// The canvas editor's few browser-only parts: keyboard shortcuts, the catalogue's
// search and arrow keys, closing menus and popovers, and drag to reorder.
// Everything else is htmx partials rendered by workflows/editor.py.
(function () {
  "use strict";

  function typing(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function click(id) {
    var button = document.getElementById(id);
    if (button && !button.disabled) button.click();
  }

  // Undo / redo: Ctrl+Z, Ctrl+Shift+Z (and Ctrl+Y); text fields keep their own undo.
  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("editor") || typing(event.target)) return;
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    var key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); shortcut("undo"); }
    else if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); shortcut("redo"); }
  });

  // A shortcut pressed while an edit is on its way waits for it, so that quick presses
  // each count and act on the buttons as the last answer left them.
  var shortcuts = [];
  function shortcut(id) {
    if (pending > 0 || shortcuts.length) shortcuts.push(id);
    else click(id);
  }

  // The catalogue: type to filter, arrows move between visible actions, Escape closes.
  function visibleItems(catalogue) {
    return Array.prototype.filter.call(catalogue.querySelectorAll(".catalogue-item"), function (item) {
      return !item.closest("li").hidden;
    });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-catalogue-search]")) return;
    var catalogue = event.target.closest("[data-catalogue]");
    var words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    catalogue.querySelectorAll("[data-catalogue-group]").forEach(function (group) {
      var inGroup = 0;
      group.querySelectorAll(".catalogue-item").forEach(function (item) {
        var text = item.getAttribute("data-search");
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.closest("li").hidden = !match;
        inGroup += match ? 1 : 0;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    catalogue.querySelector("[data-catalogue-empty]").hidden = shown > 0;
  });

  document.addEventListener("keydown", function (event) {
    var catalogue = event.target.closest && event.target.closest("[data-catalogue]");
    if (!catalogue) return;
    var search = catalogue.querySelector("[data-catalogue-search]");
    var items = visibleItems(catalogue);
    var at = items.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = event.key === "ArrowDown" ? at + 1 : at - 1;
      if (next < 0) search.focus();
      else if (items[Math.min(next, items.length - 1)]) items[Math.min(next, items.length - 1)].focus();
    } else if (event.key === "Enter" && event.target === search) {
      event.preventDefault();
      if (items.length) items[0].click();
    } else if (event.key === "Escape") {
      var close = catalogue.querySelector("[aria-label=Close]");
      if (close) close.click();
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var search = event.target.querySelector && event.target.querySelector("[data-catalogue-search]");
    if (search) search.focus();
  });

  // Save waits for what is still on its way: a config form changed but not applied is
  // applied first, and a request in flight (the details form saves on change, which
  // fires as the Save button is pressed) finishes first; then Save is clicked again.
  // A request's answer is swapped in and wired up (no settle delay: base.html) before
  // htmx:afterRequest, so what waits runs once the last answer is in, on its buttons.
  var pending = 0;
  var saveAfter = false;
  document.addEventListener("htmx:beforeRequest", function () { pending += 1; });
  document.addEventListener("htmx:afterRequest", function () {
    pending = Math.max(0, pending - 1);
    if (pending === 0) setTimeout(drain, 0);
  });
  function drain() {
    // A shortcut whose button is disabled starts no request: go on to the next one.
    while (pending === 0 && shortcuts.length) click(shortcuts.shift());
    if (pending === 0 && saveAfter) {
      saveAfter = false;
      click("save");
    }
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest(".config-form form");
    if (form) form.setAttribute("data-dirty", "");
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#save")) return;
    var form = document.querySelector("#sidebar .config-form form[data-dirty]");
    if (!form && pending === 0) return;
    event.preventDefault();
    event.stopPropagation();
    saveAfter = true;
    if (form) {
      form.removeAttribute("data-dirty");
      htmx.trigger(form, "submit");
    }
  }, true);

  // A switch that would remove steps asks first; saying no leaves it as it was.
  document.addEventListener("click", function (event) {
    var ask = event.target.closest && event.target.closest("input[data-confirm]");
    if (ask && !window.confirm(ask.getAttribute("data-confirm"))) event.preventDefault();
  }, true);

  // Escape closes an open step menu or popover.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.step-menu[open]").forEach(function (menu) { menu.open = false; });
    var popover = event.target.closest && event.target.closest(".popover");
    if (popover) popover.remove();
  });

  // Step menus and popovers close on a click elsewhere or once a choice is made.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.step-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target) || event.target.closest("[role=menuitem]")) menu.open = false;
    });
    if (event.target.matches("[data-close-popover]")) event.target.closest(".popover").remove();
    if (event.target.matches(".popover .chip")) {
      event.target.closest(".popover").querySelector("[name=code]").value = event.target.getAttribute("data-code");
    }
  });

  // Drag a step card onto another card (it lands before it) or onto a list's
  // "+ Add step" (it lands at the end); the server moves it with its blocks.
  var dragged = null;

  function dropPlace(target) {
    var card = target.closest(".step-card");
    if (card) {
      var item = card.closest(".step-item");
      var list = item.parentElement;
      return { to: list.getAttribute("data-list"), index: Array.prototype.indexOf.call(list.children, item), element: card };
    }
    var end = target.closest(".add-step");
    if (end) return { to: end.getAttribute("data-list"), index: end.getAttribute("data-index"), element: end };
    return null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".step-card");
    if (!card) return;
    dragged = card.getAttribute("data-address");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged);
    card.classList.add("dragging");
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var place = dropPlace(event.target);
    if (!place) return;
    event.preventDefault();
    document.querySelectorAll(".drop-before").forEach(function (e) { e.classList.remove("drop-before"); });
    place.element.classList.add("drop-before");
  });

  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".dragging, .drop-before").forEach(function (e) { e.classList.remove("dragging", "drop-before"); });
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var place = dropPlace(event.target);
    if (!place) return;
    event.preventDefault();
    var form = document.getElementById("move-form");
    form.elements.address.value = dragged;
    form.elements.to.value = place.to;
    form.elements.index.value = place.index;
    dragged = null;
    htmx.trigger(form, "submit");
  });
})();
