/* OpenSOR public pages: copy buttons for codes. Loaded as a file (no inline script, CSP). */
(function () {
  "use strict";
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }
  function setup() {
    var done = document.documentElement.lang === "en" ? "Copied" : "Kopieret";
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(button.getAttribute("data-copy")).then(function () {
          button.textContent = done;
          button.setAttribute("data-copied", "true");
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }
  // Search as you type: leave empty filters out of the request (and the address pushed).
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") { delete params[name]; }
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
