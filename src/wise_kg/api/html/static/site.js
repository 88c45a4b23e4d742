// Search suggestions from /search under the site's search box (progressive: the form
// works without them). Served as a file, not inline: the pages' Content-Security-Policy
// runs scripts from this server only.
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  var list = document.getElementById("site-search-suggestions");
  var timer;
  if (!input || !list || !window.fetch) return;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(function () {
      fetch("/search?q=" + encodeURIComponent(q) + "&limit=8", {headers: {Accept: "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (hits) {
          list.replaceChildren();
          hits.forEach(function (h) {
            var option = document.createElement("option");
            option.value = h.label;
            list.appendChild(option);
          });
        });
    }, 120);
  });
})();
