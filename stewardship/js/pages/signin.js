// Sign in with an API key of the steward (or admin) role.

import { gql, session } from "../api.js";
import { h, render as paint } from "../ui.js";

export const title = "Sign in";

export async function render(_params, { onSignedIn }) {
  const input = h("input", { id: "key", type: "password", autocomplete: "off", required: true, placeholder: "mdm_…", "aria-describedby": "key-help" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "panel signin", onsubmit: submit },
    h("h1", {}, "Steward console"),
    h("label", { class: "field", for: "key" }, "API key"),
    input,
    h("p", { id: "key-help", class: "muted" }, "A key with the steward role (", h("code", {}, "mdm apikey create --role steward"), "). It is kept in this tab only."),
    error,
    h("button", { class: "primary", type: "submit" }, "Sign in"),
  );
  paint(form);
  input.focus();

  async function submit(event) {
    event.preventDefault();
    error.textContent = "";
    const key = input.value.trim();
    try {
      const { me } = await gql("{ me { role name prefix } }", {}, key);
      if (!["steward", "admin"].includes(me.role)) {
        error.textContent = `This key has the ${me.role} role; the console needs a steward key.`;
        return;
      }
      session.key = key;
      await onSignedIn(me);
    } catch (err) {
      error.textContent = err.code === "UNAUTHENTICATED" ? "That key is not valid." : err.message;
    }
  }
}
