// The river's keyboard: j/k move, o opens, s stars, m marks read/unread. Same-origin script (the
// Content-Security-Policy allows no other); every action is the page's own form, sent with fetch.
(function () {
  "use strict";
  var river = document.querySelector("[data-river]");
  if (!river) { return; }
  var entries = Array.prototype.slice.call(river.querySelectorAll("[data-entry]"));
  var current = -1;

  function select(i) {
    if (!entries.length) { return; }
    i = Math.max(0, Math.min(entries.length - 1, i));
    if (current >= 0) { entries[current].classList.remove("current"); }
    current = i;
    entries[i].classList.add("current");
    entries[i].scrollIntoView({ block: "nearest" });
    var link = entries[i].querySelector("h2 a");
    if (link) { link.focus({ preventScroll: true }); }
  }

  function send(button) {
    var form = button.form;
    var body = new FormData(form);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (resp) {
      if (!resp.ok) { throw new Error("HTTP " + resp.status); }
      return resp.json();
    });
  }

  function toggle(entry, key) {
    var button = entry.querySelector('button[data-key="' + key + '"]');
    if (!button) { return; }
    var state = button.getAttribute("data-state");
    send(button).then(function () {
      var flip = { read: "unread", unread: "read", star: "unstar", unstar: "star" };
      var label = { read: "Mark read", unread: "Mark unread", star: "Star", unstar: "Unstar" };
      var next = flip[state];
      button.form.querySelector('input[name="state"]').value = next;
      button.setAttribute("data-state", next);
      button.textContent = label[next];
      if (key === "m") { entry.classList.toggle("unread", state === "unread"); }
      if (key === "s") { entry.classList.toggle("starred", state === "star"); }
    }).catch(function () { button.form.submit(); });
  }

  entries.forEach(function (entry, i) {
    entry.addEventListener("focusin", function () {
      if (current !== i) {
        if (current >= 0) { entries[current].classList.remove("current"); }
        current = i;
        entry.classList.add("current");
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") { return; }
    var entry = current >= 0 ? entries[current] : null;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "o":
        if (entry) { window.location.assign(entry.getAttribute("data-open")); }
        break;
      case "s": if (entry) { toggle(entry, "s"); } break;
      case "m": if (entry) { toggle(entry, "m"); } break;
      default: return;
    }
    event.preventDefault();
  });
})();
