/* The visitor's status page (/t/<token>): fetches its own fragment (?partial=1) every 5 s and
   swaps it in when it changed. Without JavaScript a meta refresh reloads the page instead. */
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) { return; }
  var source = box.getAttribute("data-refresh");
  var offline = document.querySelector("[data-offline]");
  var EVERY = 5000, MOST = 60000;  // about 10 ms a poll, measured with 33 waiting
  var delay = EVERY, last = box.innerHTML.trim();

  function poll() {
    fetch(source, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        delay = EVERY;
        if (offline) { offline.hidden = true; }
        html = html.trim();
        if (html !== last) {
          last = html;
          box.innerHTML = html;  // our own page's markup, from the same origin
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, MOST);
        if (offline) { offline.hidden = false; }
      })
      .then(function () {
        if (!box.querySelector("[data-final]")) { window.setTimeout(poll, delay); }
      });
  }
  window.setTimeout(poll, delay);
})();
