// The main menu: <details> menus work without this file; it only closes them the way people expect
// (one open at a time, Escape, a click elsewhere). No library.
(function () {
  "use strict";
  function menus() { return document.querySelectorAll("details.navmenu"); }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.classList.contains("navmenu") || !opened.open) return;
    menus().forEach(function (m) { if (m !== opened) m.open = false; });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus().forEach(function (m) {
      if (m.open) { m.open = false; var s = m.querySelector("summary"); if (s && m.contains(document.activeElement)) s.focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    menus().forEach(function (m) { if (m.open && !m.contains(event.target)) m.open = false; });
  });
})();
