/**
 * A minimal browser for the hosted pages over `fetch` (in-process `app.request`, or a real
 * listener): a cookie jar and manual redirects, so a test sees every hop. Only what the pages use:
 * host-only cookies, Max-Age=0 deletion; no domains or paths beyond "/".
 */
export interface BrowserResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The Location header resolved against the request URL, or null. */
  location: string | null;
}

export interface TestBrowser {
  get(url: string): Promise<BrowserResponse>;
  /** POSTs an HTML form (application/x-www-form-urlencoded). */
  submit(url: string, fields: Record<string, string>): Promise<BrowserResponse>;
  postJson(url: string, body: unknown): Promise<BrowserResponse>;
  /** Follows same-origin redirects from `response` until one leaves `origin` (returned as is) or a page answers. */
  follow(response: BrowserResponse, origin: string): Promise<BrowserResponse>;
  cookie(name: string): string | undefined;
  setCookie(name: string, value: string): void;
  clearCookies(): void;
}

export function createTestBrowser(fetch: (url: string, init: RequestInit) => Promise<Response>, origin: string): TestBrowser {
  const jar = new Map<string, string>();

  async function send(url: string, init: RequestInit): Promise<BrowserResponse> {
    const absolute = new URL(url, origin).href;
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(absolute, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const separator = pair!.indexOf("=");
      const name = pair!.slice(0, separator).trim();
      const value = pair!.slice(separator + 1).trim();
      if (attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    return { status: response.status, headers: response.headers, text: await response.text(), location: location === null ? null : new URL(location, absolute).href };
  }

  const browser: TestBrowser = {
    get: (url) => send(url, { method: "GET" }),
    submit: (url, fields) => send(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() }),
    postJson: (url, body) => send(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    async follow(response, stopOrigin) {
      let current = response;
      for (let hops = 0; current.location !== null && hops < 10; hops++) {
        if (new URL(current.location).origin !== stopOrigin) return current;
        current = await browser.get(current.location);
      }
      return current;
    },
    cookie: (name) => jar.get(name),
    setCookie: (name, value) => void jar.set(name, value),
    clearCookies: () => jar.clear(),
  };
  return browser;
}

/** The hidden and pre-filled inputs of the page's form whose action is `action` (the pages are our own markup). */
export function formFieldsOf(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action.replace(/[/.?]/g, "\\$&")}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
  if (!form) throw new Error(`no form with action ${action} in the page`);
  const fields: Record<string, string> = {};
  for (const input of form[1]!.matchAll(/<input([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
    const value = /value="([^"]*)"/.exec(input[1]!)?.[1];
    if (name && value !== undefined && /type="hidden"/.test(input[1]!)) fields[name] = value.replaceAll("&amp;", "&").replaceAll("&quot;", '"');
  }
  return fields;
}
