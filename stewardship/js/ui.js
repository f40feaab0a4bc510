// Small DOM helpers, the confirmation dialog and the toast.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function show(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function pct(value, digits = 1) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(digits)}%`;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function render(...children) {
  const main = document.getElementById("main");
  main.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return main;
}

export function toast(message, kind = "ok") {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = `show ${kind}`;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.className = ""), 4000);
}

export function modalOpen() {
  return document.getElementById("confirm").open;
}

// A modal confirmation. `body` is a node (or text); `fields` extra inputs
// inside it are read by `collect`. `action` runs on confirm and may throw:
// its message is shown in the dialog, which stays open.
export function confirmAction({ title, body, confirmLabel = "Confirm", reason = true, reasonRequired = false, action }) {
  const dialog = document.getElementById("confirm");
  const form = document.getElementById("confirm-form");
  const ok = document.getElementById("confirm-ok");
  const cancel = document.getElementById("confirm-cancel");
  const reasonField = document.getElementById("confirm-reason-field");
  const reasonInput = document.getElementById("confirm-reason");
  const error = document.getElementById("confirm-error");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-body").replaceChildren(body instanceof Node ? body : h("p", {}, body));
  ok.firstChild.textContent = `${confirmLabel} `;
  reasonField.hidden = !reason;
  reasonInput.value = "";
  reasonInput.setAttribute("aria-required", String(reasonRequired));
  error.textContent = "";
  const previous = document.activeElement;
  return new Promise((resolve) => {
    const close = (result) => {
      form.removeEventListener("submit", submit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      if (previous && previous.focus) previous.focus();
      resolve(result);
    };
    const onCancel = (event) => {
      event.preventDefault();
      close(null);
    };
    const submit = async (event) => {
      event.preventDefault();
      if (reasonRequired && !reasonInput.value.trim()) {
        error.textContent = "A reason is required.";
        reasonInput.focus();
        return;
      }
      ok.disabled = true;
      error.textContent = "";
      try {
        const result = await action(reasonInput.value.trim() || null);
        close(result === undefined ? true : result);
      } catch (err) {
        error.textContent = err.message;
      } finally {
        ok.disabled = false;
      }
    };
    form.addEventListener("submit", submit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    const first = dialog.querySelector("#confirm-body input, #confirm-body select");
    (first || ok).focus();
  });
}
