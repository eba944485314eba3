// Progressive enhancement only: the pages work without it.
// On an event page, pointing at or focusing a citation highlights its article in the sources panel.
document.addEventListener("DOMContentLoaded", () => {
  for (const cite of document.querySelectorAll(".cite[data-article]")) {
    const source = document.getElementById("source-" + cite.dataset.article);
    if (!source) continue;
    const on = () => source.classList.add("highlight");
    const off = () => source.classList.remove("highlight");
    cite.addEventListener("mouseenter", on);
    cite.addEventListener("mouseleave", off);
    cite.addEventListener("focus", on);
    cite.addEventListener("blur", off);
  }
});
