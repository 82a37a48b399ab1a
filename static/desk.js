/* The counsellor's desk (/staff/desk) reloads itself so that new walk-ins show up. A reload
   must not pull the page away from someone working on it (WCAG 2.2.1): it waits while a form
   field has the focus or a key was pressed just now, waits while the tab is hidden, puts the
   focus back on the same control afterwards, and the checkbox beside the note switches it off
   (for this browser tab). Without JavaScript a meta refresh in <noscript> reloads instead. */
(function () {
  "use strict";
  var toggle = document.querySelector("[data-auto-reload]");
  if (!toggle) { return; }
  var every = (parseInt(toggle.getAttribute("data-auto-reload"), 10) || 20) * 1000;
  var target = toggle.getAttribute("data-url") || window.location.href;
  var OFF = "desk-auto-reload-off", FOCUS = "desk-focus", QUIET = 5000;
  var lastKey = 0;

  function remembered(key) {
    try { return window.sessionStorage.getItem(key); } catch (error) { return null; }
  }
  function remember(key, value) {
    try {
      if (value === null) { window.sessionStorage.removeItem(key); }
      else { window.sessionStorage.setItem(key, value); }
    } catch (error) { /* private mode: the page works, it just forgets */ }
  }

  // A control's description that survives a reload: what it is and what it does, not where.
  function describe(element) {
    if (!element || element === document.body) { return null; }
    var form = element.form ? element.form.getAttribute("action") : "";
    return [element.tagName, element.id, form, element.getAttribute("name"),
      element.getAttribute("value"), element.getAttribute("href"),
      (element.textContent || "").trim()].join("|");
  }

  function restoreFocus() {
    var wanted = remembered(FOCUS);
    remember(FOCUS, null);
    if (!wanted) { return; }
    var candidates = document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]");
    for (var i = 0; i < candidates.length; i += 1) {
      if (describe(candidates[i]) === wanted) { candidates[i].focus(); return; }
    }
  }

  function busy() {
    var active = document.activeElement;
    var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active !== toggle;
    return document.hidden || typing || Date.now() - lastKey < QUIET;
  }

  function tick() {
    if (!toggle.checked) { return; }
    if (busy()) { window.setTimeout(tick, 1000); return; }
    remember(FOCUS, describe(document.activeElement));
    window.location.replace(target);
  }

  var timer = null;
  function schedule() {
    window.clearTimeout(timer);
    if (toggle.checked) { timer = window.setTimeout(tick, every); }
  }

  toggle.hidden = false;
  toggle.checked = remembered(OFF) !== "1";
  toggle.addEventListener("change", function () {
    remember(OFF, toggle.checked ? null : "1");
    schedule();
  });
  document.addEventListener("keydown", function () { lastKey = Date.now(); }, true);
  restoreFocus();
  schedule();
})();
