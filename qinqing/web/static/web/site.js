// Progressive enhancement only; every page works without script.
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target instanceof HTMLElement && target.dataset.confirm) {
    if (!window.confirm(target.dataset.confirm)) { event.preventDefault(); }
  }
});
