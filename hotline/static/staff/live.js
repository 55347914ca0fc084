// The live feed of cases (hotline/staff/cases_pages.py): server-sent events from /staff/cases/feed, on every
// staff page. The number of cases waiting for a nurse goes in the tab's title; a new case, an emergency on your
// case or a message on a case you have claimed plays a sound and shows a notice; the inbox and a case's page
// fetch the part the event changed (fragments rendered by the server) without reloading.
(function () {
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) return;
  var me = live.dataset.user;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var notices = document.getElementById("live-notices");
  var rows = document.getElementById("inbox-rows");
  var counts = document.getElementById("inbox-counts");
  var caseLive = document.getElementById("case-live");
  var casesBase = live.dataset.inbox.replace(/inbox$/, "cases/");
  var chimes = 0, audio = null;

  function setCount(waiting) {
    document.title = (waiting > 0 ? "(" + waiting + ") " : "") + baseTitle;
    live.dataset.waiting = String(waiting);
  }

  function chime() {
    chimes += 1;
    document.documentElement.dataset.chimes = String(chimes);  // what the browser tests read
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();  // browsers allow sound after a click on the page
      var now = audio.currentTime, tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, now);
      gain.gain.exponentialRampToValueAtTime(0.001, now + 0.7);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.7);
    } catch (e) { /* no sound here: the title and the notice still say it */ }
  }
  document.addEventListener("click", function () { if (audio && audio.state === "suspended") audio.resume(); });

  function notice(text, caseId, urgent) {
    if (!notices) return;
    var line = document.createElement("p"), link = document.createElement("a");
    line.className = "live-notice" + (urgent ? "" : " info");
    line.setAttribute("role", urgent ? "alert" : "status");
    link.href = casesBase + caseId;
    link.textContent = text;
    line.appendChild(link);
    notices.insertBefore(line, notices.firstChild);
    while (notices.children.length > 4) notices.removeChild(notices.lastChild);
  }

  // One fetch at a time per part of the page; events during a fetch make one more fetch after it.
  function refresher(element, url, after) {
    var busy = false, again = false;
    function run() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
        if (response.redirected || !response.ok) return null;  // logged out, or the case is gone
        return response.text().then(function (html) {
          element.innerHTML = html;
          if (after) after(response);
        });
      }).catch(function () {}).then(function () {
        busy = false;
        if (again) { again = false; run(); }
      });
    }
    return run;
  }

  var refreshRows = rows && refresher(rows, rows.dataset.rows, function (response) {
    if (counts) {
      counts.textContent = response.headers.get("X-Open") + " open, " + response.headers.get("X-Waiting") +
        " waiting for a nurse";
    }
  });
  var refreshCase = caseLive && refresher(caseLive, caseLive.dataset.live, function (response) {
    var canText = response.headers.get("X-Can-Text") === "1";
    var blocked = document.getElementById("reply-blocked");
    var text = document.getElementById("reply-text"), send = document.getElementById("reply-send");
    if (text) text.disabled = !canText;
    if (send) send.disabled = !canText;
    if (blocked) {
      blocked.textContent = response.headers.get("X-Blocked") || "";
      blocked.hidden = canText;
    }
  });

  function onCase(event) {
    var d = JSON.parse(event.data);
    var level = (d.level || "unassessed").toUpperCase();
    var here = caseLive && caseLive.dataset.case === d.case;
    setCount(d.waiting);
    if (d.kind === "opened") {
      chime();
      notice("New case " + d.case + ": " + level, d.case, d.level === "emergency");
    } else if (d.kind === "emergency" && d.by === me) {
      chime();
      notice("Case " + d.case + ": the parent describes an emergency. The hotline has sent the emergency " +
             "instruction.", d.case, true);
    } else if (d.kind === "raised" && d.level === "emergency") {
      chime();
      notice("Case " + d.case + " is now an EMERGENCY", d.case, true);
    } else if (d.kind === "message" && d.claimed_by === me) {
      chime();
      if (!here) notice("New message on your case " + d.case, d.case, false);
    } else if (d.kind === "expired" && !here) {
      notice("Case " + d.case + ": the claim ended without a reply; the hotline answers again", d.case, false);
    }
    if (refreshRows) refreshRows();
    if (here) refreshCase();
  }

  var source = new EventSource(live.dataset.feed + "?after=" + encodeURIComponent(live.dataset.after));
  source.addEventListener("hello", function (event) {
    var d = JSON.parse(event.data);
    setCount(d.waiting);
    live.dataset.state = d.streaming ? "streaming" : "polling";
  });
  source.addEventListener("case", onCase);
  window.addEventListener("pagehide", function () { source.close(); });
})();
