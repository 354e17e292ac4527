import { runInNewContext } from "node:vm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { PASSKEY_ERROR_MESSAGE, PASSKEY_SCRIPT } from "../../src/pages/passkey-script.js";

/**
 * The sign-in page's passkey script, run in a fresh V8 context (node:vm) against a stand-in for the
 * few browser objects it touches, with fetch served by a test-only Hono app: the requests it sends
 * and what it does with the answers. (In Chromium it also runs under the page's CSP: the lead's
 * headless test of the hosted sign-in covers that.)
 */
interface Element {
  id: string;
  hidden: boolean;
  disabled: boolean;
  textContent: string;
  listeners: Record<string, () => void>;
}

function element(id: string): Element & { addEventListener(type: string, listener: () => void): void } {
  const el = { id, hidden: true, disabled: false, textContent: "", listeners: {} as Record<string, () => void> };
  return Object.assign(el, { addEventListener: (type: string, listener: () => void) => (el.listeners[type] = listener) });
}

function run(options: { webauthn: boolean; app: Hono; credential?: unknown; parseFromJson?: boolean }) {
  const button = element("passkey-button");
  const alertBox = element("passkey-error");
  const divider = element("passkey-divider");
  const hiddenInputs = [
    { name: "request_id", value: "req-1" },
    { name: "csrf_token", value: "tok" },
  ];
  const form = { getAttribute: (name: string) => (name === "action" ? "/authorize/sign-in" : null), querySelectorAll: () => hiddenInputs };
  const byId: Record<string, unknown> = { "passkey-button": button, "passkey-error": alertBox, "passkey-divider": divider, "sign-in-form": form };
  const assigned: string[] = [];
  const gets: unknown[] = [];
  const PublicKeyCredential = Object.assign(function PublicKeyCredential() {}, options.parseFromJson === false ? {} : { parseRequestOptionsFromJSON: (json: unknown) => ({ parsed: json }) });
  const window = {
    ...(options.webauthn && { PublicKeyCredential }),
    location: { href: "https://auth.example.com/authorize/sign-in", assign: (url: string) => assigned.push(url) },
  };
  const context = {
    window,
    document: { getElementById: (id: string) => byId[id] ?? null },
    navigator: { credentials: { get: async (request: unknown) => (gets.push(request), options.credential) } },
    PublicKeyCredential,
    fetch: (url: string, init: RequestInit) => options.app.request(new URL(url, window.location.href).href, init),
    URL,
    atob,
    btoa,
    Uint8Array,
    Object,
    Error,
    JSON,
  };
  runInNewContext(PASSKEY_SCRIPT, context);
  return { button, alertBox, divider, assigned, gets };
}

async function settle(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

function serviceApp(finish: (body: Record<string, unknown>) => Response | Promise<Response>) {
  const seen: Array<{ path: string; body: Record<string, unknown>; contentType: string | undefined }> = [];
  const app = new Hono();
  app.post("/authorize/sign-in/passkey/options", async (c) => {
    seen.push({ path: c.req.path, body: await c.req.json(), contentType: c.req.header("content-type") });
    return c.json({ options: { challenge: "Y2hhbGxlbmdl", rpId: "auth.example.com", allowCredentials: [{ id: "AQID", type: "public-key" }] } }, 200);
  });
  app.post("/authorize/sign-in/passkey", async (c) => {
    const body = await c.req.json();
    seen.push({ path: c.req.path, body, contentType: c.req.header("content-type") });
    return finish(body);
  });
  return { app, seen };
}

const CREDENTIAL = { id: "cred", toJSON: () => ({ id: "cred", type: "public-key", response: { clientDataJSON: "e30" } }) };

describe("the passkey script", () => {
  it("stays hidden without WebAuthn", () => {
    const { button, divider } = run({ webauthn: false, app: new Hono() });
    expect(button.hidden).toBe(true);
    expect(divider.hidden).toBe(true);
    expect(button.listeners.click).toBeUndefined();
  });

  it("asks for options, gets a credential, posts it and follows the location", async () => {
    const { app, seen } = serviceApp(() => Response.json({ location: "https://shop.example/callback?code=abc" }));
    const page = run({ webauthn: true, app, credential: CREDENTIAL });
    expect(page.button.hidden).toBe(false);
    expect(page.divider.hidden).toBe(false);
    page.button.listeners.click!();
    await settle(() => page.assigned.length > 0 || page.alertBox.textContent !== "");
    expect(seen).toEqual([
      { path: "/authorize/sign-in/passkey/options", body: { request_id: "req-1", csrf_token: "tok" }, contentType: "application/json" },
      {
        path: "/authorize/sign-in/passkey",
        body: { request_id: "req-1", csrf_token: "tok", response: { id: "cred", type: "public-key", response: { clientDataJSON: "e30" } } },
        contentType: "application/json",
      },
    ]);
    expect(JSON.parse(JSON.stringify(page.gets))).toEqual([
      { publicKey: { parsed: { challenge: "Y2hhbGxlbmdl", rpId: "auth.example.com", allowCredentials: [{ id: "AQID", type: "public-key" }] } } },
    ]);
    expect(page.assigned).toEqual(["https://shop.example/callback?code=abc"]);
    expect(page.alertBox.textContent).toBe("");
  });

  it("decodes the options by hand where parseRequestOptionsFromJSON is missing", async () => {
    const { app } = serviceApp(() => Response.json({ location: "/done" }));
    const page = run({ webauthn: true, app, credential: CREDENTIAL, parseFromJson: false });
    page.button.listeners.click!();
    await settle(() => page.assigned.length > 0 || page.alertBox.textContent !== "");
    const { publicKey } = page.gets[0] as { publicKey: { challenge: ArrayBuffer; allowCredentials: Array<{ id: ArrayBuffer }> } };
    expect(new TextDecoder().decode(publicKey.challenge)).toBe("challenge");
    expect([...new Uint8Array(publicKey.allowCredentials[0]!.id)]).toEqual([1, 2, 3]);
    expect(page.assigned).toEqual(["https://auth.example.com/done"]);
  });

  it.each([
    ["a refusal", () => Response.json({ type: "about:blank", status: 400 }, { status: 400 })],
    ["a javascript: location", () => Response.json({ location: "javascript:alert(1)" })],
    ["no location", () => Response.json({})],
  ])("announces a failure on %s, and goes nowhere", async (_name, finish) => {
    const { app } = serviceApp(finish);
    const page = run({ webauthn: true, app, credential: CREDENTIAL });
    page.button.listeners.click!();
    await settle(() => page.alertBox.textContent !== "");
    expect(page.alertBox.textContent).toBe(PASSKEY_ERROR_MESSAGE);
    expect(page.assigned).toEqual([]);
    expect(page.button.disabled).toBe(false);
  });

  it("announces a failure when the user cancels (no credential)", async () => {
    const { app, seen } = serviceApp(() => Response.json({ location: "/done" }));
    const page = run({ webauthn: true, app, credential: null });
    page.button.listeners.click!();
    await settle(() => page.alertBox.textContent !== "");
    expect(page.alertBox.textContent).toBe(PASSKEY_ERROR_MESSAGE);
    expect(seen.map((request) => request.path)).toEqual(["/authorize/sign-in/passkey/options"]);
  });
});
