// Conveniences on top of pages that work without JavaScript: previous/next match on the report page,
// marking the linked passage, copying a citation (in the chosen style) or all of a result's, and folding the
// facets away on a phone.
"use strict";

(function () {
  // The passage the URL points at: CSS :target marks it too; the class survives focus changes.
  function markTarget() {
    document.querySelectorAll(".passage.is-target").forEach(function (el) { el.classList.remove("is-target"); });
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.classList.contains("passage")) {
      el.classList.add("is-target");
    }
    return el;
  }

  function setupMatchNavigation() {
    var nav = document.querySelector(".match-nav");
    var marks = Array.prototype.slice.call(document.querySelectorAll(".report-body mark"));
    if (!nav || marks.length === 0) return;
    var position = nav.querySelector(".match-position");
    var current = -1;

    function show(i) {
      if (current >= 0) marks[current].classList.remove("current");
      current = (i + marks.length) % marks.length;
      var m = marks[current];
      m.classList.add("current");
      m.scrollIntoView({ block: "center" });
      position.textContent = (current + 1) + " / " + marks.length;
      var passage = m.closest(".passage");
      if (passage && passage.id) history.replaceState(null, "", "#" + passage.id);
      markTarget();
    }

    // Start from the linked passage, if any. Its first match is already on screen (the browser scrolled to
    // it), so it is the current one and "next" moves on; a passage without a match: "next" is the first after it.
    var target = markTarget();
    position.textContent = marks.length + " 处";
    if (target) {
      for (var i = 0; i < marks.length; i++) {
        if (target.contains(marks[i])) {
          current = i;
          marks[i].classList.add("current");
          position.textContent = (i + 1) + " / " + marks.length;
          break;
        }
        if (target.compareDocumentPosition(marks[i]) & Node.DOCUMENT_POSITION_FOLLOWING) {
          current = i - 1;
          break;
        }
      }
    }
    nav.querySelector('[data-match="next"]').addEventListener("click", function () { show(current + 1); });
    nav.querySelector('[data-match="prev"]').addEventListener("click", function () { show(current < 0 ? -1 : current - 1); });
    document.addEventListener("keydown", function (e) {
      var tag = (e.target.tagName || "").toLowerCase();
      if (e.altKey || e.ctrlKey || e.metaKey || tag === "input" || tag === "textarea") return;
      if (e.key === "n") show(current + 1);
      if (e.key === "p") show(current < 0 ? -1 : current - 1);
    });
    nav.hidden = false;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on another host has no clipboard API: fall back to copying a selection.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  // The citation style copy buttons copy: chosen on any page, remembered in this browser.
  var STYLE_KEY = "fazhi-cite-style";
  var STYLE_COLUMNS = { gb7714_2025: "citation", gb7714_2015: "citation_gb7714_2015", fxyz: "citation_fxyz" };

  function citeStyle() {
    try {
      var chosen = localStorage.getItem(STYLE_KEY);
      if (chosen && STYLE_COLUMNS[chosen]) return chosen;
    } catch (e) { /* storage may be off: the default then */ }
    return "gb7714_2025";
  }

  function setupStyleChoice() {
    document.querySelectorAll("select.cite-style-select").forEach(function (select) {
      select.value = citeStyle();
      select.closest(".cite-style-choice").hidden = false;
      select.addEventListener("change", function () {
        try { localStorage.setItem(STYLE_KEY, select.value); } catch (e) { /* kept for this page only */ }
        document.querySelectorAll("select.cite-style-select").forEach(function (other) { other.value = select.value; });
      });
    });
  }

  // The element holding a citation in the chosen style: the default style's has the bare id.
  function citationElement(id) {
    return document.getElementById(id + "-" + citeStyle()) || document.getElementById(id);
  }

  function setupCopyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var id = button.getAttribute("data-copy");
      if (!document.getElementById(id)) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(citationElement(id).textContent.trim()).then(
          function () { button.textContent = "已复制"; button.classList.add("done"); },
          function () { button.textContent = "请手动选择复制"; }
        ).then(function () {
          setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 2000);
        });
      });
    });
  }

  // Every citation of the whole result, not only this page: the result's JSON Lines export carries each
  // row's citation in every style, and ends with {"_complete": true} when nothing was cut off.
  function setupCopyAll() {
    document.querySelectorAll("button.copy-all[data-url]").forEach(function (button) {
      var status = button.parentNode.querySelector(".copy-all-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        var column = STYLE_COLUMNS[citeStyle()];
        status.textContent = "正在获取全部引文…";
        fetch(button.getAttribute("data-url"), { headers: { Accept: "application/x-ndjson" } })
          .then(function (response) {
            if (!response.ok) throw new Error("HTTP " + response.status);
            return response.text();
          })
          .then(function (body) {
            var rows = body.split("\n").filter(Boolean).map(function (line) { return JSON.parse(line); });
            var end = rows.pop();
            if (!end || !end._complete) throw new Error("incomplete");
            var seen = {};
            var lines = rows.map(function (row) { return row[column]; }).filter(function (text) {
              if (!text || seen[text]) return false;
              seen[text] = true;
              return true;
            });
            return copyText(lines.join("\n")).then(function () {
              status.textContent = "已复制 " + lines.length + " 条引文";
            }, function () {
              status.textContent = "浏览器不允许自动复制：请从下载的 JSONL 中复制";
            });
          })
          .catch(function () { status.textContent = "获取引文失败，请稍后再试"; });
      });
    });
  }

  // On a phone the facets and the contents would push the text down: start folded, one tap opens them.
  function foldPanelsOnPhone() {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll(".facets-panel, .toc > details").forEach(function (panel) { panel.open = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldPanelsOnPhone();
    setupMatchNavigation();
    setupStyleChoice();
    setupCopyButtons();
    setupCopyAll();
    window.addEventListener("hashchange", markTarget);
  });
})();
