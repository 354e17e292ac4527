import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMachineClient } from "../../docs/examples/oauth-machine-client.js";
import { createWebAppSignIn } from "../../docs/examples/oauth-web-app.js";
import { createTestBrowser } from "../helpers/browser.js";
import { flows, uniqueEmail } from "../helpers/flows.js";
import { createTestApp, inProcessClient, listen, type Listener, type TestApp, type TestClient } from "../helpers/test-app.js";
import { basicAuth, postForm } from "../oauth/rules-support.js";
import { POST_LOGOUT_URI, REDIRECT_URI, registerClient, signInThroughPages } from "../oauth/support.js";

/**
 * The examples of docs/API.md, "OAuth and OpenID Connect", run as written against the service over
 * real HTTP on loopback (its JWT_ISSUER is the listener's URL): the web app's code + PKCE sign-in,
 * refresh, userinfo and sign-out URL, and the machine client's client-credentials token.
 */
describe("the OAuth examples of docs/API.md", () => {
  let listener: Listener;
  let testApp: TestApp | undefined;
  let issuer: string;
  let api: TestClient;
  const { register } = flows(() => api);

  beforeAll(async () => {
    listener = await listen((request) => (testApp ? testApp.app.fetch(request) : new Response("starting", { status: 503 })));
    issuer = listener.baseUrl;
    testApp = await createTestApp({ env: { JWT_ISSUER: issuer } });
    api = inProcessClient(testApp.app);
  });
  afterAll(async () => {
    await listener?.close();
    await testApp?.cleanup();
  });

  it("docs/API.md links every OAuth example this file runs", async () => {
    const files = (await readdir(new URL("../../docs/examples/", import.meta.url))).filter((name) => name.startsWith("oauth-"));
    expect(files.sort()).toEqual(["oauth-machine-client.ts", "oauth-web-app.ts"]);
    const api = await readFile(new URL("../../docs/API.md", import.meta.url), "utf8");
    for (const name of files) expect(api).toContain(`(examples/${name})`);
  });

  it("docs/examples/oauth-web-app.ts signs a user in with code + PKCE, refreshes, reads userinfo, and builds the sign-out URL", async () => {
    const email = uniqueEmail("example");
    const user = await register(email);
    const { client, clientSecret } = await registerClient(testApp!);
    const signIn = await createWebAppSignIn({ issuer, clientId: client.id, clientSecret: clientSecret!, redirectUri: REDIRECT_URI, allowInsecureIssuer: true });

    const { url, pending } = await signIn.start();
    const browser = createTestBrowser((target, init) => fetch(target, init), issuer);
    const callback = await signInThroughPages(browser, testApp!, url, email);
    const { tokens, user: signedIn } = await signIn.finish(new URL(callback.location!), pending);
    expect(signedIn).toEqual({ id: user.id, email });

    const refreshed = await signIn.refresh(tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(await signIn.userInfo(refreshed.access_token, user.id)).toMatchObject({ sub: user.id, email });
    const signOut = signIn.signOutUrl(tokens.id_token!, POST_LOGOUT_URI);
    expect(`${signOut.origin}${signOut.pathname}`).toBe(`${issuer}/oauth/logout`);
    // The callback never reaches the app with a tampered state: finish refuses it.
    const again = await signIn.start();
    const second = await signInThroughPages(browser, testApp!, again.url, email);
    await expect(signIn.finish(new URL(second.location!), { ...again.pending, state: "another" })).rejects.toMatchObject({ code: "OAUTH_INVALID_RESPONSE", cause: expect.objectContaining({ message: expect.stringContaining("state") }) });
  });

  it("docs/examples/oauth-machine-client.ts gets a client-credentials token whose subject is the client, and reuses it", async () => {
    const { client, clientSecret } = await registerClient(testApp!, { grantTypes: ["client_credentials"], redirectUris: [], postLogoutRedirectUris: [], scopes: ["reports:read"], firstParty: false });
    const accessToken = await createMachineClient({ issuer, clientId: client.id, clientSecret: clientSecret!, allowInsecureIssuer: true });
    const token = await accessToken("reports:read");
    const introspected = await postForm(testApp!, "/oauth/introspect", { token }, basicAuth(client.id, clientSecret!));
    expect(introspected.body).toMatchObject({ active: true, sub: client.id, client_id: client.id, scope: "reports:read" });
    expect(await accessToken("reports:read")).toBe(token);
  });
});
