// Passkeys (WebAuthn): the browser's part of adding one and of signing in with one. The server makes the
// options and checks the answers (auth/security.py, the webauthn library); this only carries them across.
(() => {
  "use strict";

  // The token the box carries (a visitor's page has no csrf-token meta), else the page's.
  let csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), { data });
    return data;
  }

  // Options JSON -> what navigator.credentials wants (the browser's own parser where it has one).
  const creationOptions = (json) =>
    PublicKeyCredential.parseCreationOptionsFromJSON
      ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
      : {
          ...json,
          challenge: toBytes(json.challenge),
          user: { ...json.user, id: toBytes(json.user.id) },
          excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
        };
  const requestOptions = (json) =>
    PublicKeyCredential.parseRequestOptionsFromJSON
      ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
      : { ...json, challenge: toBytes(json.challenge), allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })) };

  function asJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response, clientExtensionResults: {} };
  }

  const supported = () => typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
  const failed = (box, error, fallback) => {
    if (error?.data?.redirect) {
      window.location.assign(error.data.redirect);
      return;
    }
    box.textContent = error?.name === "NotAllowedError" ? fallback : error?.message || fallback;
  };

  // Adding a passkey on the security page.
  document.querySelectorAll("[data-passkey-add]").forEach((form) => {
    if (!supported()) return;
    if (form.dataset.csrf) csrf = () => form.dataset.csrf;
    const button = form.querySelector("[data-passkey-button]");
    const errorBox = form.querySelector("[data-passkey-error]");
    form.querySelector("[data-passkey-unsupported]")?.setAttribute("hidden", "");
    button.disabled = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errorBox.textContent = "";
      button.disabled = true;
      try {
        const options = await post(form.dataset.optionsUrl);
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const name = form.querySelector("input[name$='name']")?.value || "";
        const done = await post(form.dataset.addUrl, { credential: asJSON(credential), name });
        window.location.assign(done.redirect);
      } catch (error) {
        failed(errorBox, error, form.dataset.cancelled || "");
        button.disabled = false;
      }
    });
  });

  // Signing in with a passkey (alone on the sign-in page, or as the second step).
  document.querySelectorAll("[data-passkey-sign-in]").forEach((box) => {
    if (!supported()) return;
    if (box.dataset.csrf) csrf = () => box.dataset.csrf;
    box.hidden = false;
    const errorBox = box.querySelector("[data-passkey-error]");
    box.querySelector("button").addEventListener("click", async () => {
      errorBox.textContent = "";
      try {
        const options = await post(box.dataset.optionsUrl);
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const done = await post(box.dataset.verifyUrl, asJSON(credential));
        window.location.assign(done.redirect);
      } catch (error) {
        failed(errorBox, error, box.dataset.cancelled || "");
      }
    });
  });

  // "Print the codes" on the recovery codes page.
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
})();
