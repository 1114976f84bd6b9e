// Behaviour of our own pages; no inline scripts, so the Content-Security-Policy stays strict.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});

// A formset's "add another" button clones the empty form template and bumps TOTAL_FORMS.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-formset-add]");
  if (!button) return;
  const prefix = button.getAttribute("data-formset-add");
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const list = document.getElementById(`${prefix}-forms`);
  const index = parseInt(total.value, 10);
  const html = template.innerHTML.replace(/__prefix__/g, String(index));
  list.insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
});

// A row of columns wider than its box (the clinic day) scrolls inside it: the box's cut edges fade, and the
// "n more columns" button counts the columns cut on the right and scrolls to the first of them.
function columnScroller(root) {
  const box = root.querySelector("[data-columns]");
  const more = root.querySelector("[data-more-columns]");
  const frame = box.parentElement;
  const cutColumns = () => {
    const edge = box.getBoundingClientRect().right + 1;
    return [...box.children].filter((column) => column.getBoundingClientRect().right > edge);
  };
  const update = () => {
    const cut = cutColumns();
    frame.classList.toggle("cut-start", box.scrollLeft > 1);
    frame.classList.toggle("cut-end", cut.length > 0);
    if (!more) return;
    more.hidden = cut.length === 0;
    for (const label of more.querySelectorAll("[data-hidden-columns]")) {
      label.hidden = Number(label.dataset.hiddenColumns) !== cut.length;
    }
  };
  more?.addEventListener("click", () => {
    const [first] = cutColumns();
    if (first) box.scrollBy({ left: first.getBoundingClientRect().left - box.getBoundingClientRect().left });
  });
  box.addEventListener("scroll", update, { passive: true });
  new ResizeObserver(update).observe(box);
  update();
}
document.querySelectorAll("[data-column-scroller]").forEach(columnScroller);
