// One idempotency key per form rendering, kept across Back and Forward.
//
// A form page reached again through the browser's history (even when the browser fetches it anew)
// gets back the key it was first rendered with, so submitting it again replays the application it
// already created instead of creating a second one. A fresh visit keeps the server's new key.
(function () {
  "use strict";
  var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
  var fromHistory = entries.length > 0 && entries[0].type === "back_forward";
  var forms = document.querySelectorAll("form[data-form-key]");
  for (var i = 0; i < forms.length; i++) {
    var input = forms[i].querySelector("input[name='idempotency_key']");
    if (!input) { continue; }
    var slot = "qinqing-form-key:" + forms[i].getAttribute("data-form-key");
    try {
      var kept = window.sessionStorage.getItem(slot);
      if (fromHistory && kept) {
        input.value = kept;
      } else {
        window.sessionStorage.setItem(slot, input.value);
      }
    } catch (e) {
      // Storage refused (private mode): the server-rendered key still guards retries of this page.
    }
  }
})();
