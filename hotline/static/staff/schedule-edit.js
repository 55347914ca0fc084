// The live counter: the same rules as hotline/channels/segments.py (the server checks again on save).
(function () {
  var rules = JSON.parse(document.getElementById("segment-rules").textContent);
  var basic = new Set(rules.basic), extended = new Set(rules.extended);
  var samples = rules.samples, maxParts = rules.max_parts;
  function parts(text) {
    var units = 0, odd = [];
    for (var ch of text) {
      if (basic.has(ch)) units += 1; else if (extended.has(ch)) units += 2; else if (odd.indexOf(ch) < 0) odd.push(ch);
    }
    if (odd.length) { units = text.length; return {n: units <= 70 ? 1 : Math.ceil(units / 67), enc: "UCS-2", odd: odd.sort()}; }
    return {n: units <= 160 ? 1 : Math.ceil(units / 153), enc: "GSM-7", odd: []};
  }
  function update(area) {
    var text = area.value, now = parts(text), filled = text;
    for (var key in samples) filled = filled.split("{" + key + "}").join(samples[key]);
    var worst = parts(filled).n, summary = now.n + " SMS part" + (now.n === 1 ? "" : "s") + " · " + now.enc +
      " · " + Array.from(text).length + " characters";
    if (worst > now.n) summary += "; up to " + worst + " parts with a long baby name";
    var odd = area.dataset.lang === "en" ? now.odd.join("") : "";
    if (worst > maxParts) summary += ". Too long: " + maxParts + " parts at most";
    if (odd) summary += ". English texts must be plain GSM-7: replace " + odd;
    var out = document.getElementById(area.dataset.counter);
    out.textContent = summary;
    out.classList.toggle("over", worst > maxParts || !!odd);
  }
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    area.addEventListener("input", function () { update(area); });
    update(area);
  });
})();
