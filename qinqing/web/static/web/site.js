// Progressive enhancement only; every page works without script.
// Loaded in <head> without defer: the "js" class lets the stylesheet fold the menu before first paint.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) { toggle.hidden = false; }
  restoreDraft();
});

document.addEventListener("click", function (event) {
  var target = event.target;
  if (!(target instanceof HTMLElement)) { return; }
  if (target.dataset.confirm && !window.confirm(target.dataset.confirm)) { event.preventDefault(); return; }
  var toggle = target.closest(".menu-toggle");
  if (toggle) {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", open);
  }
});

// Switching the language reloads the page: keep what was typed in a form marked data-keep.
var DRAFT = "qinqing-draft:";

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("lang")) { return; }
  var kept = document.querySelector("form[data-keep]");
  if (!kept) { return; }
  var values = {};
  Array.prototype.forEach.call(kept.elements, function (el) {
    if (!el.name || el.type === "file" || el.type === "hidden" && el.name !== "idempotency_key") { return; }
    if (el.type === "checkbox") { values[el.name] = el.checked; } else { values[el.name] = el.value; }
  });
  try { sessionStorage.setItem(DRAFT + location.pathname, JSON.stringify(values)); } catch (e) { return; }
  // The form's key travels in the address: the server shows the files already accepted for it.
  var next = form.querySelector("input[name=next]");
  if (next && values.idempotency_key) {
    var url = new URL(next.value, location.href);
    url.searchParams.set("key", values.idempotency_key);
    next.value = url.pathname + url.search;
  }
});

function restoreDraft() {
  var kept = document.querySelector("form[data-keep]");
  if (!kept) { return; }
  var raw = null;
  try { raw = sessionStorage.getItem(DRAFT + location.pathname); sessionStorage.removeItem(DRAFT + location.pathname); } catch (e) { return; }
  if (!raw) { return; }
  var values = JSON.parse(raw);
  Array.prototype.forEach.call(kept.elements, function (el) {
    if (!el.name || !(el.name in values) || el.type === "file") { return; }
    if (el.type === "checkbox") { el.checked = values[el.name] === true; }
    else if (!el.readOnly) { el.value = values[el.name]; }
  });
}
