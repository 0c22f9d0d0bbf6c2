// Typeset the formulas the docs builder marked: <span class="vmt-math" data-display="0|1">TeX</span>.
// The builder takes the TeX out of the Markdown before it is rendered, so no Markdown rule can mangle it.
(function () {
  function typeset(root) {
    if (!window.katex) return;
    root.querySelectorAll("span.vmt-math:not([data-typeset])").forEach(function (el) {
      var tex = el.textContent;
      katex.render(tex, el, {displayMode: el.dataset.display === "1", throwOnError: false, output: "htmlAndMathml"});
      el.setAttribute("data-typeset", "");
      el.setAttribute("title", tex);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { typeset(document); });
  else typeset(document);
})();
