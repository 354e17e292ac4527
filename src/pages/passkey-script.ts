/**
 * The sign-in page's one script: "Sign in with a passkey". It is constant text (everything it needs
 * it reads from the page's form: the action and the hidden fields, CSRF token included), so nothing
 * a request carries can ever be written into a script; the page runs it under its CSP nonce.
 *
 * 1. POST <action>/passkey/options with `{ csrf_token, ...hidden fields }` as JSON; the answer's
 *    `options` is a WebAuthn PublicKeyCredentialRequestOptionsJSON.
 * 2. navigator.credentials.get, through PublicKeyCredential.parseRequestOptionsFromJSON where the
 *    browser has it, else decoding the base64url members by hand.
 * 3. POST <action>/passkey with `{ csrf_token, ...hidden fields, response: credential.toJSON() }`
 *    (serialised by hand where toJSON is missing), then go to the answer's `location`.
 * Any failure (cancelled, no passkey, a refusal) is shown in the role="alert" element. The button
 * stays hidden where there is no WebAuthn at all.
 */
export const PASSKEY_ERROR_MESSAGE = "Signing in with a passkey did not work. Try again, or sign in with your password.";

export const PASSKEY_SCRIPT = `(function () {
  "use strict";
  var button = document.getElementById("passkey-button");
  var form = document.getElementById("sign-in-form");
  var alertBox = document.getElementById("passkey-error");
  if (!button || !form || !alertBox || !window.PublicKeyCredential || !navigator.credentials) return;
  button.hidden = false;
  var divider = document.getElementById("passkey-divider");
  if (divider) divider.hidden = false;

  function hiddenFields() {
    var fields = {};
    form.querySelectorAll("input[type=hidden]").forEach(function (input) { fields[input.name] = input.value; });
    return fields;
  }
  function fromBase64Url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  function toBase64Url(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  }
  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var options = Object.assign({}, json, { challenge: fromBase64Url(json.challenge) });
    if (json.allowCredentials) {
      options.allowCredentials = json.allowCredentials.map(function (credential) {
        return Object.assign({}, credential, { id: fromBase64Url(credential.id) });
      });
    }
    return options;
  }
  function credentialJson(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64Url(response.clientDataJSON),
        authenticatorData: toBase64Url(response.authenticatorData),
        signature: toBase64Url(response.signature),
        userHandle: response.userHandle ? toBase64Url(response.userHandle) : undefined
      }
    };
  }
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer.json();
    });
  }

  button.addEventListener("click", function () {
    var action = form.getAttribute("action");
    alertBox.textContent = "";
    button.disabled = true;
    postJson(action + "/passkey/options", hiddenFields())
      .then(function (answer) { return navigator.credentials.get({ publicKey: requestOptions(answer.options) }); })
      .then(function (credential) {
        if (!credential) throw new Error("no credential");
        return postJson(action + "/passkey", Object.assign(hiddenFields(), { response: credentialJson(credential) }));
      })
      .then(function (answer) {
        // Only a web address: never a javascript: URL, whatever the answer says.
        if (!answer || typeof answer.location !== "string") throw new Error("no location");
        var target = new URL(answer.location, window.location.href);
        if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error("bad location");
        window.location.assign(target.href);
      })
      .catch(function () {
        button.disabled = false;
        alertBox.textContent = ${JSON.stringify(PASSKEY_ERROR_MESSAGE)};
      });
  });
})();
`;
