/* kam: small page behaviours without inline JavaScript, so the Content-Security-Policy can forbid it.
 *
 *   data-confirm="Question?"   on a <form> (asked on submit) or a button/link (asked on click)
 *   data-autosubmit            on a <select>/<input>: submits its form when it changes
 *   data-select-on-click       on an <input>: selects its text when clicked
 *
 * Older templates still carry inline handlers of the same kinds (onclick="return confirm('…')",
 * onsubmit="return confirm(this.dataset.confirm)", onchange="this.form.submit()", onclick="this.select()").
 * The policy stops those from running, so they are turned into the attributes above when a page or an
 * htmx fragment loads, and the handler attribute is removed (no double question where CSP is off).
 */
(function () {
  "use strict";

  var CONFIRM = /^\s*return\s+confirm\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|this\.dataset\.confirm)\s*\)\s*;?\s*$/;
  var SUBMIT = /^\s*this\.form\.(?:submit|requestSubmit)\(\)\s*;?\s*$/;
  var SELECT = /^\s*this\.select\(\)\s*;?\s*$/;

  function unescapeJs(text) {
    return text.replace(/\\(.)/g, "$1");
  }

  function adopt(el) {
    ["onclick", "onsubmit", "onchange"].forEach(function (attr) {
      var code = el.getAttribute(attr);
      if (code === null) return;
      var m = CONFIRM.exec(code);
      if (m) {
        if (m[1] !== undefined || m[2] !== undefined) {
          el.setAttribute("data-confirm", unescapeJs(m[1] !== undefined ? m[1] : m[2]));
        }
        el.removeAttribute(attr);
      } else if (attr === "onchange" && SUBMIT.test(code)) {
        el.setAttribute("data-autosubmit", "");
        el.removeAttribute(attr);
      } else if (attr === "onclick" && SELECT.test(code)) {
        el.setAttribute("data-select-on-click", "");
        el.removeAttribute(attr);
      }
    });
  }

  function adoptAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.hasAttribute && (root.hasAttribute("onclick") || root.hasAttribute("onsubmit") || root.hasAttribute("onchange"))) {
      adopt(root);
    }
    root.querySelectorAll("[onclick],[onsubmit],[onchange]").forEach(adopt);
  }

  function ask(el, event) {
    var question = el.getAttribute("data-confirm");
    if (question !== null && question !== "" && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return false;
    }
    return true;
  }

  // Capture phase: the question comes before htmx or anyone else sees the event.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var el = target.closest("button[data-confirm],input[type=submit][data-confirm],a[data-confirm]");
    if (el && !ask(el, event)) return;
    var sel = target.closest("[data-select-on-click]");
    if (sel && typeof sel.select === "function") sel.select();
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) ask(form, event);
  }, true);

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) {
      if (typeof el.form.requestSubmit === "function") el.form.requestSubmit();
      else el.form.submit();
    }
  }, true);

  adoptAll(document.documentElement);
  document.addEventListener("DOMContentLoaded", function () { adoptAll(document.body); });
  document.addEventListener("htmx:load", function (event) { adoptAll(event.target); });
})();
