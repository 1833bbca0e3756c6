/* Broadsheet: "/" focuses the search box unless the reader is typing somewhere.
   The only script on reading pages; the search engine loads on the search page alone. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
              t.isContentEditable)) return;
    var box = document.getElementById("search-box");
    if (box) {
      e.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
