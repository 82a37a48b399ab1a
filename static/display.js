/* The waiting room's display (/display/<location>): polls the calls every 2 s, draws them,
   and chimes and highlights a new call. Errors back off up to 10 s with a badge, and polling
   never stops. Without JavaScript a meta refresh reloads the page every 10 s instead. */
(function () {
  "use strict";
  var root = document.querySelector("[data-calls]");
  if (!root) { return; }
  var source = root.getAttribute("data-calls");
  var rows = parseInt(root.getAttribute("data-rows"), 10) || 6;
  var body = root.querySelector("tbody");
  var empty = root.querySelector("[data-empty]");
  var offline = root.querySelector("[data-offline]");
  var soundBar = root.querySelector("[data-sound]");
  var EVERY = 2000, MOST = 10000, FRESH = 12000;
  var delay = EVERY;
  var latest = Date.parse(root.getAttribute("data-latest") || "") || 0;
  var audio = null;
  var shown = null;
  var freshUntil = 0;

  var ASK_AFTER = 600;  // ms the browser gets to start the sound by itself
  var chimes = 0;

  var Context = window.AudioContext || window.webkitAudioContext;
  if (Context) {
    try { audio = new Context(); } catch (error) { audio = null; }
  }

  function sound(state) {
    root.setAttribute("data-sound-state", state);
    if (soundBar) { soundBar.hidden = state !== "refused"; }
  }

  if (audio) {
    audio.addEventListener("statechange", function () {
      if (audio.state === "running") { sound("on"); }
    });
    if (audio.state === "running") {
      sound("on");
    } else {
      // Try without a click: a kiosk browser started with
      // --autoplay-policy=no-user-gesture-required allows it (docs/walk-ins.md). Others keep
      // the sound off until someone clicks: only then ask, once.
      audio.resume().catch(function () {});
      window.setTimeout(function () {
        if (audio.state !== "running") { sound("refused"); }
      }, ASK_AFTER);
      if (soundBar) {
        soundBar.querySelector("button").addEventListener("click", function () {
          audio.resume().then(function () { sound("on"); chime(); });
        });
      }
    }
  }

  function chime() {
    if (!audio || audio.state !== "running") { return; }
    chimes += 1;
    root.setAttribute("data-chimes", String(chimes));
    var start = audio.currentTime;
    [[880, 0], [660, 0.4]].forEach(function (tone) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      var at = start + tone[1];
      oscillator.type = "sine";
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.5, at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.9);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 1);
    });
  }

  function cell(text) {
    var td = document.createElement("td");
    var bdi = document.createElement("bdi");
    bdi.dir = "ltr";
    bdi.textContent = text;
    td.appendChild(bdi);
    return td;
  }

  function draw(calls) {
    calls = calls.slice(0, rows);
    var newest = calls.length ? Date.parse(calls[0].called_at) || 0 : 0;
    if (newest > latest) {  // a new call, or a call repeated
      latest = newest;
      freshUntil = Date.now() + FRESH;
      chime();
    }
    var key = JSON.stringify(calls);
    if (key !== shown) {  // redraw only on a change, so the highlight animates once
      shown = key;
      var fragment = document.createDocumentFragment();
      calls.forEach(function (call, index) {
        var tr = document.createElement("tr");
        if (index === 0) { tr.className = "display-latest"; }
        tr.appendChild(cell(call.number));
        tr.appendChild(cell(call.room || "\u2013"));
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
      if (empty) { empty.hidden = calls.length > 0; }
    }
    var first = body.querySelector(".display-latest");
    if (first) { first.classList.toggle("display-fresh", Date.now() < freshUntil); }
  }

  function poll() {
    fetch(source, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        delay = EVERY;
        if (offline) { offline.hidden = true; }
        draw(Array.isArray(data.calls) ? data.calls : []);
      })
      .catch(function () {
        delay = Math.min(delay * 2, MOST);
        if (offline) { offline.hidden = false; }
      })
      .then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, EVERY);
})();
