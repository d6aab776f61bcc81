/* Care visit form: keep a draft on the phone, send it when the network is there, exactly once.
 *
 * What is typed is saved in localStorage as it is typed. Submitting marks the draft
 * "to send": if the browser is offline, or the request fails, the draft stays and is
 * sent when the "online" event fires (or the page is opened again). The draft carries
 * a token generated here; the server stores it with the visit (unique), so a draft
 * sent twice creates one visit. The draft is removed only when the server confirms.
 * Photos cannot be kept in localStorage: they are sent only with an online submit.
 */
(function () {
  "use strict";

  var SKIP = { csrfmiddlewaretoken: true };

  function newToken() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function store(key, draft) {
    try { window.localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage full: keep going */ }
  }

  function collect(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (!fields[el.name]) { fields[el.name] = []; }
        if (el.checked) { fields[el.name].push(el.value); }
      } else {
        fields[el.name] = [el.value];
      }
    });
    return fields;
  }

  function restore(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || !(el.name in fields)) { return; }
      var values = fields[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values[0] || "";
      }
    });
  }

  function body(form, fields, withFiles) {
    var data = new FormData();
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) { data.append("csrfmiddlewaretoken", csrf.value); }
    Object.keys(fields).forEach(function (name) {
      fields[name].forEach(function (value) { data.append(name, value); });
    });
    if (withFiles) {
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) { data.append(input.name, file); });
      });
    }
    return data;
  }

  function showErrors(form, errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".care-error.js"), function (el) { el.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var box = form.querySelector("#field-" + name) || form;
      errors[name].forEach(function (error) {
        var p = document.createElement("p");
        p.className = "care-error js";
        p.textContent = error.message;
        box.appendChild(p);
      });
    });
  }

  function setup(form) {
    var key = "grassroots:" + form.dataset.careDraft;
    var status = document.getElementById("draft-status");
    var tokenInput = form.querySelector("input[name=client_token]");
    var sending = false;

    function say(text, kind) {
      if (!status) { return; }
      status.hidden = false;
      status.textContent = text;
      status.className = "care-draft-status " + (kind || "");
    }

    var draft = load(key);
    if (draft && draft.fields) {
      restore(form, draft.fields);
      say(form.dataset.msgRestored, "info");
    } else {
      draft = { token: newToken(), fields: null, pending: false };
    }
    if (!draft.token) { draft.token = newToken(); }
    if (tokenInput) { tokenInput.value = draft.token; }

    function save() {
      draft.fields = collect(form);
      draft.savedAt = new Date().toISOString();
      store(key, draft);
    }

    function send(withFiles) {
      if (sending) { return; }
      if (!navigator.onLine) {
        say(form.dataset.msgOffline + (form.querySelector("input[type=file]") && withFiles ? " " + form.dataset.msgPhotos : ""), "warn");
        return;
      }
      sending = true;
      say(form.dataset.msgSending, "info");
      fetch(form.action || window.location.href, {
        method: "POST",
        body: body(form, draft.fields, withFiles),
        headers: { "X-Care-Draft": "1" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (result) {
        sending = false;
        if (result.data && result.data.ok) {
          window.localStorage.removeItem(key);
          say(form.dataset.msgSent, "ok");
          form.dataset.sent = "1";
          window.location.assign(result.data.url);
        } else if (result.status === 422) {
          draft.pending = false;
          store(key, draft);
          say(form.dataset.msgInvalid, "warn");
          showErrors(form, result.data && result.data.errors);
        } else {
          say(form.dataset.msgFailed, "warn");
        }
      }).catch(function () {
        sending = false;
        say(form.dataset.msgFailed, "warn");
      });
    }

    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
      draft.pending = true;
      store(key, draft);
      send(true);
    });
    window.addEventListener("online", function () {
      var current = load(key);
      if (current && current.pending) { draft = current; send(false); }
    });
    window.addEventListener("offline", function () {
      var current = load(key);
      if (current && current.pending) { say(form.dataset.msgOffline, "warn"); }
    });
    if (draft.pending && navigator.onLine) { send(false); }
    else if (draft.pending) { say(form.dataset.msgOffline, "warn"); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-care-draft]"), setup);
  });
})();
