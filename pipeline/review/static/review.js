// Keyboard shortcuts and instant outlines; every action is a plain link or form without it.
(function () {
  "use strict";
  const $ = (s, r) => (r || document).querySelector(s);
  const $$ = (s, r) => Array.from((r || document).querySelectorAll(s));
  const typing = (t) => t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");

  function go(el) { if (el) { el.click(); return true; } return false; }
  function toggleHelp() { const h = $("#help"); if (h) h.hidden = !h.hidden; }

  // --- queue ---------------------------------------------------------------
  const rows = $$(".qrow");
  let sel = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) return;
    sel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, k) => r.classList.toggle("sel", k === sel));
    rows[sel].scrollIntoView({ block: "nearest" });
  }
  rows.forEach((r, k) => r.addEventListener("click", (e) => {
    if (e.target.tagName !== "A") { select(k); location.href = r.dataset.href; }
  }));
  $$("form[data-autosubmit] select").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  if (rows.length) select(0);

  // --- project ---------------------------------------------------------------
  const cards = $$(".card");
  const boxes = $$(".box");
  const findings = $$(".finding");
  function focusCard(card, scroll) {
    if (!card) return;
    cards.forEach((c) => c.classList.toggle("focus", c === card));
    const f = card.dataset.field;
    let first = null;
    boxes.forEach((b) => {
      const on = b.dataset.field === f;
      b.classList.toggle("focus", on);
      if (on && !first) first = b;
    });
    $$(".cell.focus").forEach((c) => c.classList.remove("focus"));
    $$('.cell[data-field="' + f + '"]').forEach((c) => c.classList.add("focus"));
    if (scroll) {
      card.scrollIntoView({ block: "nearest" });
      if (first) first.scrollIntoView({ block: "center" });
    }
  }
  function outline(finding) {
    const fields = new Set((finding.dataset.fields || "").split(" "));
    findings.forEach((f) => f.classList.toggle("active", f === finding));
    let first = null;
    boxes.forEach((b) => {
      const on = fields.has(b.dataset.field);
      b.classList.toggle("hit", on);
      if (on && !first) first = b;
    });
    $$(".cell").forEach((c) => c.classList.toggle("hit", fields.has(c.dataset.field)));
    if (first) first.scrollIntoView({ block: "center" });
  }
  findings.forEach((f) => f.addEventListener("click", (e) => { e.preventDefault(); outline(f); }));
  const focused = $(".card.focus");
  if (focused) focusCard(focused, true);
  else { const hit = $(".box.hit"); if (hit) hit.scrollIntoView({ block: "center" }); }
  $$("textarea[data-edit]").forEach((t) => t.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); t.form.submit(); }
  }));
  $$("[data-help]").forEach((b) => b.addEventListener("click", toggleHelp));

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const k = e.key.toLowerCase();
    const card = $(".card.focus");
    let done = false;
    if (k === "?") { toggleHelp(); done = true; }
    else if (k === "escape") { const h = $("#help"); if (h && !h.hidden) { h.hidden = true; done = true; } }
    else if (rows.length && (k === "j" || k === "arrowdown")) { select(sel + 1); done = true; }
    else if (rows.length && (k === "k" || k === "arrowup")) { select(sel - 1); done = true; }
    else if (rows.length && (k === "enter" || k === "o")) { location.href = rows[sel].dataset.href; done = true; }
    else if (cards.length && k === "j") { focusCard(cards[Math.min(cards.indexOf(card) + 1, cards.length - 1)], true); done = true; }
    else if (cards.length && k === "k") { focusCard(cards[Math.max(cards.indexOf(card) - 1, 0)], true); done = true; }
    else if (card && /^[1-9]$/.test(k)) { done = go($('button[data-key="' + k + '"]', card)); }
    else if (card && k === "e") { const i = $("[data-edit]", card); if (i) { i.focus(); i.select(); done = true; } }
    else if (card && k === "c") { done = go($("[data-confirm]", card)); }
    else if (k === "f" && findings.length) {
      const i = findings.findIndex((f) => f.classList.contains("active"));
      outline(findings[(i + 1) % findings.length]); done = true;
    }
    else if (k === "a") { done = go($("#approve")); }
    else if (k === "i") { done = go($("#inconsistent")); }
    else if (k === "n") { done = go($("#next")); }
    else if (k === "p") { done = go($("#prev")); }
    else if (k === "u") { done = go($("#to-queue")); }
    else if (k === "z") { document.body.classList.toggle("zoom"); done = true; }
    if (done) e.preventDefault();
  });
  if (cards.length && !focused) focusCard(cards[0], false);
  document.body.dataset.ready = "1"; // shortcuts are live (tests wait for this)
})();
