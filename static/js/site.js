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
