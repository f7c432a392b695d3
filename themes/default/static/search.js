// Starts Pagefind's search box. The site may be served from any folder, so the search page
// gives its path to the site root (data-root) and the index is found from there.
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  var root = new URL(box.getAttribute("data-root") || "../", window.location.href).pathname;
  // A big site's index comes in parts (data-parts: their folders); results from all are merged.
  var parts = (box.getAttribute("data-parts") || "").split(" ").filter(Boolean).map(function (part) {
    return { bundlePath: new URL(part, window.location.href).pathname, baseUrl: root };
  });
  new PagefindUI({
    element: "#search",
    baseUrl: root,
    bundlePath: root + "pagefind/",
    mergeIndex: parts,
    showImages: false,
    resetStyles: false,
    autofocus: true
  });
  // Pagefind's box is labelled only by a title attribute; the page's heading labels it instead.
  var input = box.querySelector("input");
  if (input) input.setAttribute("aria-labelledby", "search-heading");
});
