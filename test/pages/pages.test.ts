import { describe, expect, it } from "vitest";
import { ConsentPage } from "../../src/pages/consent.js";
import { ErrorPage } from "../../src/pages/error-page.js";
import { describeScopes, scopeDescriptions } from "../../src/pages/scopes.js";
import { SecondFactorPage } from "../../src/pages/second-factor.js";
import { SignInPage } from "../../src/pages/sign-in.js";
import { LogoutConfirmPage, SignedOutPage } from "../../src/pages/sign-out.js";
import { BRANDING, externalUrls, NONCE, pageApp, tags, unlabelledControls } from "./page-app.js";

const HOSTILE = `<script>alert("x")</script>`;
const hidden = { request_id: "req-123" };

async function get(app: ReturnType<typeof pageApp>) {
  const response = await app.request("https://auth.example.com/page");
  return { response, html: await response.text() };
}

function csrfCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith("__Host-csrf="));
  return cookie!.split(";")[0]!.slice("__Host-csrf=".length);
}

describe("hosted pages", () => {
  it("answers with the page's own security headers", async () => {
    const app = pageApp(
      (_c, csrfToken) => SignInPage({ branding: BRANDING, nonce: NONCE, csrfToken, action: "/authorize/sign-in", hiddenFields: hidden, clientName: "Shop", passkeys: false }),
      ["https://shop.example", "com.example.app:"],
    );
    const { response, html } = await get(app);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toBe(
      `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; img-src data:; connect-src 'self'; ` +
        "form-action 'self' https://shop.example com.example.app:; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    // The app's secure-headers middleware would say SAMEORIGIN; the page's DENY stays.
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(tags(html, "meta").some((meta) => meta.attributes.name === "viewport")).toBe(true);
    expect(tags(html, "main")).toHaveLength(1);
    expect(tags(html, "h1")).toHaveLength(1);
    // The one inline style carries the nonce; nothing else is loaded from anywhere.
    expect(tags(html, "style").map((style) => style.attributes.nonce)).toEqual([NONCE]);
    expect(tags(html, "link")).toEqual([]);
    expect(externalUrls(html)).toEqual([]);
  });

  it("answers with the status it is given", async () => {
    const app = pageApp((_c) => ErrorPage({ branding: BRANDING, nonce: NONCE, title: "Request expired", message: "Start again." }), [], 400);
    expect((await get(app)).response.status).toBe(400);
  });

  describe("SignInPage", () => {
    const render = (props: Partial<Parameters<typeof SignInPage>[0]> = {}) =>
      pageApp((_c, csrfToken) =>
        SignInPage({ branding: BRANDING, nonce: NONCE, csrfToken, action: "/authorize/sign-in", hiddenFields: hidden, clientName: "Shop", passkeys: false, ...props }),
      );

    it("posts email and password, the hidden fields and the CSRF token to its action", async () => {
      const { response, html } = await get(render({ email: "ada@example.com" }));
      const [form] = tags(html, "form");
      expect(form!.attributes).toMatchObject({ method: "post", action: "/authorize/sign-in" });
      const inputs = tags(html, "input");
      expect(inputs.find((input) => input.attributes.name === "email")!.attributes).toMatchObject({
        type: "email",
        autocomplete: "username webauthn",
        value: "ada@example.com",
      });
      expect(inputs.find((input) => input.attributes.name === "password")!.attributes).toMatchObject({ type: "password", autocomplete: "current-password" });
      expect(inputs.find((input) => input.attributes.name === "request_id")!.attributes).toMatchObject({ type: "hidden", value: "req-123" });
      // The form's token is the cookie's (double submit).
      expect(inputs.find((input) => input.attributes.name === "csrf_token")!.attributes.value).toBe(csrfCookie(response));
      expect(tags(html, "button").some((button) => button.attributes.type === "submit")).toBe(true);
      expect(unlabelledControls(html)).toEqual([]);
      expect(html).toContain("Signing in to Shop");
      expect(html).not.toContain('role="alert"');
      expect(tags(html, "script")).toEqual([]);
    });

    it("announces an error and ties the fields to it", async () => {
      const { html } = await get(render({ error: "Email or password is wrong." }));
      const alert = html.match(/<div id="sign-in-error" class="alert" role="alert">([^<]*)<\/div>/);
      expect(alert?.[1]).toBe("Email or password is wrong.");
      for (const name of ["email", "password"]) {
        expect(tags(html, "input").find((input) => input.attributes.name === name)!.attributes).toMatchObject({
          "aria-invalid": "true",
          "aria-describedby": "sign-in-error",
        });
      }
    });

    it("shows hostile names, addresses and errors as text", async () => {
      const { html } = await get(render({ clientName: HOSTILE, email: `"><script>alert(1)</script>`, error: HOSTILE }));
      expect(html).not.toContain("<script>");
      expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
      expect(tags(html, "input").find((input) => input.attributes.name === "email")!.attributes.value).toBe("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    });

    it("offers a passkey through a nonce'd script, the button hidden until WebAuthn is found", async () => {
      const { html } = await get(render({ passkeys: true }));
      const [button] = tags(html, "button").filter((b) => b.attributes.id === "passkey-button");
      expect(button!.attributes).toMatchObject({ type: "button", hidden: "" });
      expect(html).toContain("Sign in with a passkey");
      expect(tags(html, "script").map((script) => script.attributes.nonce)).toEqual([NONCE]);
      const script = html.match(/<script nonce="[^"]+">([\s\S]*?)<\/script>/)![1]!;
      expect(script).toContain('action + "/passkey/options"');
      expect(script).toContain('action + "/passkey"');
      expect(script).toContain("parseRequestOptionsFromJSON");
      expect(script).toContain("navigator.credentials.get");
      expect(script).toContain("window.PublicKeyCredential");
      // Its failure message has an announced place of its own.
      expect(html).toContain('<div id="passkey-error" class="alert" role="alert"></div>');
      expect(externalUrls(html)).toEqual([]);
    });

    it("lists federation buttons as links of this service", async () => {
      const { html } = await get(render({ federationButtons: [{ id: "google", name: "Google", href: "/federation/google/start?request_id=req-123" }] }));
      expect(tags(html, "a").map((a) => a.attributes.href)).toEqual(["/federation/google/start?request_id=req-123"]);
      expect(html).toContain("Continue with Google");
    });
  });

  describe("SecondFactorPage", () => {
    const render = (props: Partial<Parameters<typeof SecondFactorPage>[0]> = {}) =>
      pageApp((_c, csrfToken) =>
        SecondFactorPage({ branding: BRANDING, nonce: NONCE, csrfToken, action: "/authorize/second-factor", hiddenFields: hidden, methods: ["totp", "recovery_code"], ...props }),
      );

    it("asks for a one-time code, with a recovery code behind a disclosure that needs no script", async () => {
      const { response, html } = await get(render());
      const code = tags(html, "input").find((input) => input.attributes.name === "code")!;
      expect(code.attributes).toMatchObject({ inputmode: "numeric", autocomplete: "one-time-code" });
      expect(tags(html, "input").some((input) => input.attributes.name === "recovery_code")).toBe(true);
      expect(html).toMatch(/<details><summary>Use a recovery code instead<\/summary><form/);
      // Each of the two forms carries the token and the hidden fields.
      const forms = tags(html, "form");
      expect(forms).toHaveLength(2);
      const tokens = tags(html, "input").filter((input) => input.attributes.name === "csrf_token");
      expect(tokens.map((input) => input.attributes.value)).toEqual([csrfCookie(response), csrfCookie(response)]);
      expect(tags(html, "input").filter((input) => input.attributes.name === "request_id")).toHaveLength(2);
      expect(unlabelledControls(html)).toEqual([]);
      expect(tags(html, "script")).toEqual([]);
    });

    it("shows only the recovery code field when that is all there is", async () => {
      const { html } = await get(render({ methods: ["recovery_code"] }));
      expect(tags(html, "input").map((input) => input.attributes.name)).toEqual(["request_id", "csrf_token", "recovery_code"]);
      expect(html).not.toContain("<details>");
    });

    it("announces an error", async () => {
      const { html } = await get(render({ error: HOSTILE }));
      expect(html).toContain('role="alert">&lt;script&gt;');
      expect(tags(html, "input").find((input) => input.attributes.name === "code")!.attributes["aria-describedby"]).toBe("second-factor-error");
    });
  });

  describe("ConsentPage", () => {
    it("lists what is asked and offers allow and deny", async () => {
      const app = pageApp((_c, csrfToken) =>
        ConsentPage({
          branding: BRANDING,
          nonce: NONCE,
          csrfToken,
          action: "/authorize/consent",
          hiddenFields: hidden,
          clientName: HOSTILE,
          userEmail: "ada@example.com",
          scopes: describeScopes(["openid", "email", "invoices:read"]),
        }),
      );
      const { response, html } = await get(app);
      expect(html).not.toContain("<script>");
      expect(html).toContain("&lt;script&gt;");
      expect(html).toContain("ada@example.com");
      expect(html).toContain(scopeDescriptions.openid);
      expect(html).toContain(scopeDescriptions.email);
      expect(html).toContain("invoices:read");
      const buttons = tags(html, "button").map((button) => button.attributes);
      expect(buttons).toEqual([
        expect.objectContaining({ type: "submit", name: "decision", value: "deny" }),
        expect.objectContaining({ type: "submit", name: "decision", value: "allow" }),
      ]);
      expect(tags(html, "input").find((input) => input.attributes.name === "csrf_token")!.attributes.value).toBe(csrfCookie(response));
      expect(externalUrls(html)).toEqual([]);
    });
  });

  describe("LogoutConfirmPage and SignedOutPage", () => {
    it("asks before signing out, with confirm and cancel", async () => {
      const app = pageApp((_c, csrfToken) =>
        LogoutConfirmPage({ branding: BRANDING, nonce: NONCE, csrfToken, action: "/logout", hiddenFields: { state: "s1" }, clientName: "Shop" }),
      );
      const { html } = await get(app);
      expect(html).toContain("<title>Sign out? · Acme ID</title>");
      expect(tags(html, "button").map((button) => button.attributes.value)).toEqual(["cancel", "confirm"]);
      expect(tags(html, "input").map((input) => input.attributes.name)).toEqual(["state", "csrf_token"]);
      expect(html).toContain("Shop asks to sign you out");
    });

    it("says the user is signed out", async () => {
      const { html } = await get(pageApp(() => SignedOutPage({ branding: BRANDING, nonce: NONCE })));
      expect(html).toContain("<h1>Signed out</h1>");
      expect(tags(html, "form")).toEqual([]);
    });
  });

  describe("ErrorPage", () => {
    it("shows the title, the message and the reference, as text", async () => {
      const app = pageApp(() => ErrorPage({ branding: BRANDING, nonce: NONCE, title: "Unknown client", message: HOSTILE, requestId: "01J-req" }));
      const { html } = await get(app);
      expect(html).toContain("<h1>Unknown client</h1>");
      expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
      expect(html).toContain("01J-req");
      expect(tags(html, "script")).toEqual([]);
    });
  });

  describe("branding", () => {
    const LOGO = "data:image/png;base64,iVBORw0KGgo=";
    it("puts the product name in the title, the accent in the stylesheet and the logo as a data: URL", async () => {
      const branding = { productName: "Globex <Login>", accentColor: "#0a7d33", logoDataUrl: LOGO };
      const { html } = await get(pageApp(() => SignedOutPage({ branding, nonce: NONCE })));
      expect(html).toContain("<title>Signed out · Globex &lt;Login&gt;</title>");
      expect(html).toContain("--accent:#0a7d33");
      expect(tags(html, "img").map((img) => img.attributes)).toEqual([{ src: LOGO, alt: "" }]);
      expect(externalUrls(html)).toEqual([]);
    });

    it("never writes a logo that is not a data: image, nor a colour that is not one", async () => {
      const branding = { productName: "Acme", accentColor: "red;}</style><script>", logoDataUrl: "https://cdn.example/logo.png" };
      const { html } = await get(pageApp(() => SignedOutPage({ branding, nonce: NONCE })));
      expect(tags(html, "img")).toEqual([]);
      expect(html).not.toContain("red;}");
      expect(externalUrls(html)).toEqual([]);
    });
  });
});
