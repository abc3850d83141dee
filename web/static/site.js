// Conveniences on top of pages that work without JavaScript: previous/next match on the report page,
// marking the linked passage, copying a citation, and folding the facets away on a phone.
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

  function setupCopyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(source.textContent.trim()).then(
          function () { button.textContent = "已复制"; button.classList.add("done"); },
          function () { button.textContent = "请手动选择复制"; }
        ).then(function () {
          setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 2000);
        });
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
    setupCopyButtons();
    window.addEventListener("hashchange", markTarget);
  });
})();
