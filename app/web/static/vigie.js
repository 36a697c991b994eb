// Vigie's web page: theme choice, the JSON API with the session's CSRF token, the incident actions, and the
// live incident list (Server-Sent Events from /api/v1/incidents/stream). No framework, no build step.
// Every piece of text that comes from the server arrives as HTML rendered (and escaped) by the server.
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function signIn() {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  // Calls the JSON API with the session cookie; resolves with the parsed body, rejects with a message.
  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      if (response.status === 401) { signIn(); throw new Error("signed out"); }
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) throw new Error((data && (data.detail || data.title)) || ("HTTP " + response.status));
        return data;
      });
    });
  }

  // Fetches a server-rendered fragment and returns its first element (parsed, never executed: <template>).
  function fragment(path) {
    return fetch(path, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (response) {
      if (response.redirected && response.url.indexOf("/login") !== -1) { signIn(); throw new Error("signed out"); }
      if (response.status === 404) return null;
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        return template.content.firstElementChild;
      });
    });
  }

  window.Vigie = { api: api, fragment: fragment, csrf: csrf };

  // --- theme
  var themeSelect = document.getElementById("theme-select");
  if (themeSelect) {
    themeSelect.value = document.documentElement.getAttribute("data-theme") || "auto";
    themeSelect.addEventListener("change", function () {
      var value = themeSelect.value;
      try {
        if (value === "auto") localStorage.removeItem("vigie-theme"); else localStorage.setItem("vigie-theme", value);
      } catch (e) { /* storage disabled: the choice lasts for this page */ }
      if (value === "auto") document.documentElement.removeAttribute("data-theme");
      else document.documentElement.setAttribute("data-theme", value);
    });
  }

  // --- incidents
  var list = document.getElementById("incidents");
  if (!list) return;
  var single = list.getAttribute("data-single");

  function card(id) { return document.getElementById("incident-" + id); }

  function refreshCount() {
    var count = list.querySelectorAll("article.incident").length;
    var counter = document.getElementById("incident-count");
    if (counter) counter.textContent = String(count);
    var empty = document.getElementById("no-incidents");
    if (empty) empty.hidden = count > 0;
    if (!single) {
      var base = document.title.replace(/^\(\d+\) /, "");
      document.title = (count ? "(" + count + ") " : "") + base;
    }
  }

  // A card re-rendered by a live event keeps what the person was doing in it: an open resolve or snooze form
  // with its choices and note (an incident updates often during a storm; the note must not vanish mid-sentence).
  function carryOver(old, element) {
    Array.prototype.forEach.call(old.querySelectorAll("form[data-form]"), function (form) {
      var name = form.getAttribute("data-form");
      var fresh = element.querySelector('form[data-form="' + name + '"]');
      if (form.hidden || !fresh) return;
      fresh.hidden = false;
      var opener = element.querySelector('button[data-action="' + name + '"]');
      if (opener) opener.setAttribute("aria-expanded", "true");
      Array.prototype.forEach.call(form.elements, function (field) {
        var twin = field.name && fresh.elements.namedItem(field.name);
        if (twin && twin.type !== "hidden") twin.value = field.value;
        if (twin && field === document.activeElement) window.setTimeout(function () { twin.focus(); }, 0);
      });
    });
  }

  // Puts a card in its place: the list is ordered by data-rank (severity, then age).
  function place(element) {
    var old = card(element.getAttribute("data-incident-id"));
    var hadFocus = old && old.contains(document.activeElement);
    if (old) carryOver(old, element);
    if (old) old.remove();
    if (!single) {
      var rank = element.getAttribute("data-rank");
      var next = Array.prototype.find.call(list.querySelectorAll("article.incident"), function (other) {
        return other.getAttribute("data-rank") > rank;
      });
      list.insertBefore(element, next || null);
    } else {
      list.appendChild(element);
    }
    if (hadFocus) element.focus();
    refreshCount();
  }

  function reload(id) {
    return fragment("/incidents/" + id + "/card").then(function (element) {
      if (!element) { var old = card(id); if (old) old.remove(); refreshCount(); return; }
      if (!single && element.getAttribute("data-status") === "resolved") {
        var gone = card(id);
        if (gone) gone.remove();
        refreshCount();
        return;
      }
      place(element);
    });
  }

  function showError(article, message) {
    var box = article.querySelector(".action-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  function act(article, action, body) {
    var id = article.getAttribute("data-incident-id");
    var buttons = article.querySelectorAll(".actions button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    return api("POST", "/api/v1/incidents/" + id + "/" + action, body)
      .then(function () { return reload(id); })
      .catch(function (error) {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        showError(article, error.message);
      });
  }

  function toggle(article, button, name) {
    var form = article.querySelector('form[data-form="' + name + '"]');
    if (!form) return;
    form.hidden = !form.hidden;
    button.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) { var first = form.querySelector("select, textarea, input"); if (first) first.focus(); }
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var article = button.closest("article.incident");
    var action = button.getAttribute("data-action");
    if (action === "ack") { event.preventDefault(); act(article, "ack"); }
    else if (action === "resolve" || action === "snooze") { event.preventDefault(); toggle(article, button, action); }
  });

  list.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-form]");
    if (!form) return;
    event.preventDefault();
    var article = form.closest("article.incident");
    if (form.getAttribute("data-form") === "resolve") {
      var note = form.elements.note.value.trim();
      var body = { reason: form.elements.reason.value };
      if (note) body.note = note;
      act(article, "resolve", body);
    } else {
      act(article, "snooze", { minutes: parseInt(form.elements.minutes.value, 10) });
    }
  });

  // --- live updates
  var status = document.getElementById("live-status");
  function setStatus(state) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.textContent = status.getAttribute("data-" + state) || state;
  }
  if (!window.EventSource) return;
  var types = ["opened", "updated", "escalated", "acknowledged", "snoozed", "resolved", "reopened"];
  var source = new EventSource("/api/v1/incidents/stream", { withCredentials: true });
  source.onopen = function () { setStatus("live"); };
  source.onerror = function () { setStatus(source.readyState === EventSource.CLOSED ? "offline" : "connecting"); };
  types.forEach(function (type) {
    source.addEventListener("incident." + type, function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      var id = data && data.incident && data.incident.id;
      if (!id || (single && String(id) !== single)) return;
      reload(id).catch(function () { /* the next event or a reload shows it */ });
    });
  });
  // An EventSource closed by a 401 (session ended) does not retry: try again a little later, or sign in.
  setInterval(function () {
    if (source.readyState === EventSource.CLOSED) {
      fetch("/api/v1/incidents?limit=1", { credentials: "same-origin" }).then(function (r) {
        if (r.status === 401) signIn(); else window.location.reload();
      }).catch(function () { setStatus("offline"); });
    }
  }, 15000);
})();
