// The declaration form: builds the JSON document the API takes (DeclarationDoc) from rows the
// user adds and removes, asks the server to validate it as the user types, shows each field's
// error next to the field, and saves through the API with the session's CSRF token.
//
// Markup contract (declarations/form.html):
//   [data-field="name"]             a value of the enclosing object (data-type: decimal, int,
//                                   bool, list, datetime; text by default)
//   [data-object="name"]            a nested object (fee_payer)
//   [data-list="name"]              a list whose direct children [data-item] are its objects,
//                                   cloned from <template id=data-template>
//   [data-add="name"], [data-remove] buttons that add a row to a list / remove their row
//   [data-choices="key"]            a select filled from the reference data
// Every field gets data-path (e.g. "trips.0.tractor_plate"), the path the API's errors name.
"use strict";

(() => {
  const form = document.getElementById("declaration-form");
  if (!form) return;
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const reference = data("form-reference");
  const endpoints = data("form-endpoints");
  const text = data("form-text");
  const lang = (document.documentElement.lang || "vi").split("-")[0];
  const mode = form.dataset.mode;
  const submitted = form.dataset.status === "submitted";
  const summary = document.getElementById("form-errors");
  const status = document.getElementById("form-status");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  // Arrival times are only checked on drafts: a submitted declaration keeps its own.
  const ignored = new Set(submitted ? ["arrival_past", "arrival_far"] : []);

  let errors = [];
  let showAll = false;
  let generation = 0;
  let timer = null;

  // --- Reading and writing the form as a document ---------------------------------------

  const scopeOf = (node) => node.parentElement.closest("[data-item], [data-object], form");
  const own = (scope, selector) =>
    [...scope.querySelectorAll(selector)].filter((node) => scopeOf(node) === scope);
  const items = (list) => [...list.children].filter((node) => node.matches("[data-item]"));

  function read(input) {
    const value = input.type === "checkbox" ? input.checked : input.value.trim();
    switch (input.dataset.type) {
      case "bool": return Boolean(value);
      case "decimal": return value === "" ? null : value;
      case "int": return value === "" ? null : Number.parseInt(value, 10);
      case "datetime": return value === "" ? null : value;
      case "list": return value.split(/[,;\s]+/).filter(Boolean);
      default: return value;
    }
  }

  function write(input, value) {
    if (input.type === "checkbox") { input.checked = Boolean(value); return; }
    const shown = Array.isArray(value) ? value.join(", ") : (value ?? "");
    if (input.tagName === "SELECT") input.dataset.want = String(shown);
    input.value = String(shown);
  }

  function collect(scope) {
    const out = {};
    for (const input of own(scope, "[data-field]")) out[input.dataset.field] = read(input);
    for (const object of own(scope, "[data-object]")) {
      const value = collect(object);
      const filled = Object.values(value).some((v) => v !== "" && v !== null);
      out[object.dataset.object] = filled ? value : null;
    }
    for (const list of own(scope, "[data-list]")) out[list.dataset.list] = items(list).map(collect);
    return out;
  }

  function fill(scope, values) {
    for (const input of own(scope, "[data-field]")) {
      if (values[input.dataset.field] !== undefined) write(input, values[input.dataset.field]);
    }
    for (const object of own(scope, "[data-object]")) {
      const value = values[object.dataset.object];
      if (value) { fill(object, value); object.open = true; }
    }
    for (const list of own(scope, "[data-list]")) {
      items(list).forEach((item) => item.remove());
      for (const value of values[list.dataset.list] || []) addItem(list, value);
    }
    for (const shown of own(scope, "[data-show]")) {
      shown.textContent = values[shown.dataset.show] || "";
    }
  }

  function addItem(list, values) {
    const template = document.getElementById(list.dataset.template);
    const item = template.content.firstElementChild.cloneNode(true);
    list.append(item);
    for (const select of item.querySelectorAll("select[data-choices]")) {
      if (select.dataset.default) select.dataset.want = select.dataset.default;
    }
    fill(item, values || {});
    refreshChoices(item);
    return item;
  }

  function number(scope, prefix) {
    for (const input of own(scope, "[data-field]")) input.dataset.path = prefix + input.dataset.field;
    for (const object of own(scope, "[data-object]")) {
      object.dataset.path = prefix + object.dataset.object;
      number(object, `${prefix}${object.dataset.object}.`);
    }
    for (const list of own(scope, "[data-list]")) {
      const path = prefix + list.dataset.list;
      list.dataset.path = path;
      items(list).forEach((item, i) => {
        item.dataset.path = `${path}.${i}`;
        for (const index of own(item, "[data-index]")) index.textContent = i + 1;
        number(item, `${path}.${i}.`);
      });
    }
  }

  // --- Selects fed by the reference data ----------------------------------------------------

  const field = (name) => own(form, `[data-field="${name}"]`)[0];

  function options(key) {
    const direction = field("direction").value;
    const allowed = (row) => row[direction] !== false;
    switch (key) {
      case "gates": return reference.gates.map((g) => [g.code, `${g.name} (${g.code})`]);
      case "passages": {
        const gate = reference.gates.find((g) => g.code === field("gate").value);
        return (gate ? gate.passages : []).filter(allowed).map((p) => [p.code, p.name]);
      }
      case "regimes":
        return reference.regimes.filter(allowed).map((r) => [r.code, `${r.code} — ${r.name}`]);
      case "types":
        return reference.types.filter((t) => t.direction === direction)
          .map((t) => [t.code, `${t.code} — ${t.name}`]);
      case "vehicle_classes":
        return reference.vehicle_classes.map((v) => [v.code, `${v.code} — ${v.name}`]);
      case "units": return reference.units.map((u) => [u.code, `${u.code} — ${u.name}`]);
      case "currencies": return reference.currencies.map((c) => [c, c]);
      default: return [];
    }
  }

  function refreshChoices(scope) {
    for (const select of scope.querySelectorAll("select[data-choices]")) {
      const want = select.dataset.want ?? select.value;
      const choices = options(select.dataset.choices);
      const blank = new Option(text.choose, "");
      select.replaceChildren(blank, ...choices.map(([value, label]) => new Option(label, value)));
      // One possible answer (a gate with a single passage): take it.
      if (!want && choices.length === 1) select.value = choices[0][0];
      else if (choices.some(([value]) => value === want)) select.value = want;
      else select.value = "";
    }
  }

  // --- Errors -------------------------------------------------------------------------------

  const messageOf = (error) => (error.messages && error.messages[lang]) || error.message || "";
  const pathOf = (error) => error.field.replace(/^document\./, "");

  function clearErrors() {
    form.querySelectorAll(".field-error, .list-error").forEach((node) => node.remove());
    form.querySelectorAll("[aria-invalid]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
  }

  function place(node, message, id) {
    const note = document.createElement(node.matches("[data-list]") ? "p" : "small");
    note.className = node.matches("[data-list]") ? "list-error" : "field-error";
    note.id = id;
    note.textContent = message;
    if (node.matches("tbody")) node.closest(".table-wrap").before(note);
    else if (node.matches("[data-list]")) node.before(note);
    else {
      node.after(note);
      node.setAttribute("aria-invalid", "true");
      node.setAttribute("aria-describedby", id);
    }
  }

  function render() {
    clearErrors();
    const loose = [];
    let hidden = 0;
    errors.forEach((error, i) => {
      const path = pathOf(error);
      const node = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
      const seen = showAll || (node && node.dataset.touched);
      if (node && seen && !node.matches("[data-item], [data-object]")) {
        place(node, messageOf(error), `error-${i}`);
      } else if (showAll) {
        loose.push(messageOf(error));
      } else {
        hidden += 1;
      }
    });
    if (showAll && errors.length) {
      summary.replaceChildren(document.createTextNode(text.fix));
      if (loose.length) {
        const list = document.createElement("ul");
        for (const message of loose) {
          const item = document.createElement("li");
          item.textContent = message;
          list.append(item);
        }
        summary.append(list);
      }
      summary.hidden = false;
    } else {
      summary.hidden = true;
    }
    status.textContent = errors.length === 0 ? text.valid
      : hidden ? text.hidden.replace("%(count)s", hidden) : "";
  }

  function problem(body, focus = true) {
    summary.textContent = messageOf(body) || text.network;
    summary.hidden = false;
    if (focus) summary.focus();
  }

  // --- Talking to the API -------------------------------------------------------------------

  function documentNow() {
    number(form, "");
    return collect(form);
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = {};
    try { payload = await response.json(); } catch { /* an empty or HTML answer */ }
    return { status: response.status, body: payload };
  }

  function keep(errorsIn) {
    return (errorsIn || []).filter((error) => !ignored.has(error.code));
  }

  async function validate() {
    const mine = ++generation;
    const doc = documentNow();
    // The validation endpoint checks a new declaration: existing trip codes mean nothing to it.
    for (const trip of doc.trips) trip.code = null;
    status.textContent = text.checking;
    let reply;
    try {
      reply = await call("POST", endpoints.validate, doc);
    } catch {
      if (mine === generation) status.textContent = text.network;
      return;
    }
    if (mine !== generation) return; // a newer check is on its way
    if (reply.status === 200) errors = [];
    else if (reply.status === 422) errors = keep(reply.body.errors);
    else { problem(reply.body, false); return; }
    render();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(validate, 350);
  }

  function reason() {
    const input = form.querySelector("[data-reason]");
    return input ? input.value.trim() : "";
  }

  async function save(action) {
    const doc = documentNow();
    let reply;
    if (action === "correct") {
      if (!reason()) {
        errors = [{ field: "reason", code: "required", message: text.reason_required }];
        showAll = true;
        render();
        return null;
      }
      reply = await call("POST", endpoints.correct, { reason: reason(), document: doc });
    } else if (mode === "new") {
      const url = action === "submit" ? `${endpoints.create}?submit=true` : endpoints.create;
      reply = await call("POST", url, doc);
    } else {
      const query = reason() ? `?reason=${encodeURIComponent(reason())}` : "";
      reply = await call("PUT", endpoints.update + query, doc);
      if (reply.status === 200 && action === "submit") {
        reply = await call("POST", endpoints.submit);
      }
    }
    return reply;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = (event.submitter && event.submitter.dataset.action) || "submit";
    const buttons = form.querySelectorAll("button[type=submit]");
    clearTimeout(timer);
    generation += 1;
    showAll = true;
    buttons.forEach((button) => { button.disabled = true; });
    form.setAttribute("aria-busy", "true");
    status.textContent = text.saving;
    let reply = null;
    try {
      reply = await save(action);
    } catch {
      problem({});
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
      form.removeAttribute("aria-busy");
    }
    if (!reply) return;
    if (reply.status === 200 || reply.status === 201) {
      const declarationId = reply.body.declaration_id || reply.body.id;
      window.location.assign(form.dataset.detailUrl.replace("/0/", `/${declarationId}/`));
      return;
    }
    if (reply.status === 422) {
      errors = keep(reply.body.errors);
      render();
      const first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
      else summary.focus();
      return;
    }
    status.textContent = "";
    problem(reply.body);
  });

  // --- Wiring -------------------------------------------------------------------------------

  function touched(event) {
    const input = event.target.closest("[data-field], [data-reason]");
    if (!input) return false;
    input.dataset.touched = "1";
    if (input.tagName === "SELECT") input.dataset.want = input.value;
    return true;
  }

  form.addEventListener("input", (event) => { if (touched(event)) schedule(); });
  form.addEventListener("change", (event) => {
    if (!touched(event)) return;
    const name = event.target.dataset.field;
    if (name === "direction" || name === "gate") refreshChoices(form);
    schedule();
  });
  form.addEventListener("focusout", (event) => {
    if (touched(event) && errors.length) render();
  });

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    if (add) {
      const scope = add.closest("[data-item], form");
      const list = own(scope, `[data-list="${add.dataset.add}"]`)[0];
      const item = addItem(list, {});
      number(form, "");
      const first = item.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
      schedule();
      return;
    }
    const remove = event.target.closest("[data-remove]");
    if (remove) {
      remove.closest("[data-item]").remove();
      number(form, "");
      schedule();
    }
  });

  fill(form, data("form-document"));
  refreshChoices(form);
  number(form, "");
})();
