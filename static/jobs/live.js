// Live updates: follow the page's socket (jobs/consumers.py) and let htmx refresh the
// fragments a change concerns. The server sends only "job X of entry Y is now S";
// each fragment re-fetches itself from its usual view, so one template renders it.
//
// An element opts in with data-live-on, a space-separated list of:
//   job:<id>     a change of that job          entry:<id>  a change of a job on that entry
//   any          every change of the workspace     status:<S>  a job that became S
//   ended        a job that ended
//   new          a job the page does not show, when it is created (or, with
//                data-live-status="S", when it becomes S: a list filtered by status)
// and is refreshed from its hx-get (with its hx-target, hx-swap, hx-select); give it
// hx-trigger="live", an event nobody sends, so htmx's default (a click) does not fire. Elements with
// data-live-new refresh for "new" only while the reader is at the top of the page;
// otherwise the element named by data-live-banner is shown and refreshes on click.
// The socket is the one named by the first [data-live-socket] (default: the
// workspace's); data-live-since is the change id the page was rendered at, so
// nothing committed between the render and the connection is missed.
(function () {
  "use strict";
  var ENDED = ["OK", "KO", "CANCEL"];
  var holder = document.querySelector("[data-live-socket]");
  var path = holder ? holder.getAttribute("data-live-socket") : "/ws/live/";
  var since = holder && holder.hasAttribute("data-live-since")
    ? parseInt(holder.getAttribute("data-live-since"), 10) : null;
  var backoff = 500;
  var busy = {};
  var dirty = {};
  var pending = {}; // key -> {job id: true}, the jobs a data-live-rows list must fetch

  function wants(element, change) {
    var shown = document.querySelector('[data-job="' + change.job + '"]');
    var key = element.getAttribute("data-live-on") || "";
    return key.split(/\s+/).some(function (want) {
      return want === "any" ||
        want === "job:" + change.job ||
        (change.entry && want === "entry:" + change.entry) ||
        want === "status:" + change.status ||
        (want === "ended" && ENDED.indexOf(change.status) >= 0) ||
        (want === "new" && !shown && (change.status === "QUEUED" ||
          change.status === element.getAttribute("data-live-status") ||
          // The list being fetched may have read the job before this change, and
          // the job's row is not there yet to hear it: fetch the list once more.
          busy[key]));
    });
  }

  function refresh(element) {
    if (element.hasAttribute("data-live-new") && window.scrollY > 80) {
      var banner = document.getElementById(element.getAttribute("data-live-banner"));
      if (banner) banner.hidden = false;
      return;
    }
    var key = element.getAttribute("data-live-on");
    if (busy[key]) {
      dirty[key] = true; // refreshed again once the request in flight has landed
      return;
    }
    busy[key] = true;
    var rows = element.getAttribute("data-live-rows");
    var body = element.querySelector("tbody");
    var jobs = Object.keys(pending[key] || {});
    delete pending[key];
    var request;
    if (rows && body && jobs.length) {
      var url = rows + (rows.indexOf("?") >= 0 ? "&" : "?") + "jobs=" + jobs.join(",");
      request = window.htmx.ajax("GET", url, { source: element, target: body, swap: "afterbegin" })
        .then(function () { dropRepeatedRows(body); });
    } else {
      request = window.htmx.ajax("GET", element.getAttribute("hx-get"), { source: element });
    }
    request.catch(function () {}).then(function () { landed(key); });
  }

  // A row fetched again (a change came while its first fetch was in flight) lands on
  // top of the one fetched before: the newer one stays.
  function dropRepeatedRows(body) {
    var seen = {};
    body.querySelectorAll("tr[data-job]").forEach(function (row) {
      var job = row.getAttribute("data-job");
      if (seen[job]) row.remove();
      seen[job] = true;
    });
  }

  // A fragment replaces itself (outerHTML), which would drop a refresh queued on the
  // old element (hx-sync); so changes that arrive meanwhile are remembered here and
  // replayed on the element that took its place.
  function landed(key) {
    delete busy[key];
    if (!dirty[key]) return;
    delete dirty[key];
    var again = document.querySelector('[data-live-on="' + key + '"]');
    if (again) refresh(again);
  }

  function changed(change) {
    document.querySelectorAll("[data-live-on]").forEach(function (element) {
      if (!wants(element, change)) return;
      if (change.job && element.hasAttribute("data-live-rows")) {
        var key = element.getAttribute("data-live-on");
        (pending[key] = pending[key] || {})[change.job] = true;
      }
      refresh(element);
    });
    document.dispatchEvent(new CustomEvent("live:change", { detail: change }));
  }

  function refreshAll() {
    document.querySelectorAll("[data-live-on]").forEach(refresh);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = since === null ? "" : "?since=" + since;
    var socket = new WebSocket(scheme + window.location.host + path + query);
    socket.onopen = function () { backoff = 500; };
    socket.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if ("hello" in message) {
        if (message.reset) refreshAll();
        since = Math.max(since || 0, message.hello);
        document.documentElement.setAttribute("data-live", "connected");
        return;
      }
      // Not since = change: ids may arrive out of order or with one missing; the
      // server says in "hello" up to where the page has had everything.
      (message.changes || []).forEach(changed);
    };
    socket.onclose = function (event) {
      if (event.code === 4403 || event.code === 4401) {
        // Removed from the workspace, deactivated, or the session ended (logout,
        // expiry, password change): the server decides what to show.
        window.location.reload();
        return;
      }
      document.documentElement.setAttribute("data-live", "reconnecting");
      window.setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  // A live refresh may also bring a form (the entry's state and meta): it is left
  // alone while the user is editing it (focus inside, or typed into).
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form");
    if (form) form.setAttribute("data-edited", "");
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.tagName === "FORM" &&
        (target.hasAttribute("data-edited") || target.contains(document.activeElement))) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("click", function (event) {
    var banner = event.target.closest("[data-live-banner-for]");
    if (!banner) return;
    var list = document.getElementById(banner.getAttribute("data-live-banner-for"));
    banner.hidden = true;
    window.scrollTo(0, 0);
    if (list) refresh(list);
  });

  // Pages with nothing live (the login page) open no socket.
  var live = document.querySelector("[data-live-on], [data-live-socket]");
  if (live && window.WebSocket && window.htmx) connect();
})();
