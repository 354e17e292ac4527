import { describe, expect, it } from "vitest";
import { redirectUriMatches, withQuery } from "../../src/oauth/redirect-uri.js";

/** Redirect URI matching (OAuth 2.1 §2.3.1, RFC 8252 §7.3): what a registered URI lets through. */
describe("redirectUriMatches", () => {
  it("matches a registered URI exactly, and nothing near it", () => {
    const registered = ["https://app.example/cb", "com.example.app:/oauth"];
    expect(redirectUriMatches(registered, "https://app.example/cb")).toBe(true);
    expect(redirectUriMatches(registered, "com.example.app:/oauth")).toBe(true);
    for (const presented of [
      "https://app.example/cb/",
      "https://app.example/cbx",
      "https://app.example/cb?x=1",
      "https://app.example/cb#x",
      "https://app.example:443/cb",
      "https://APP.example/cb",
      "https://app.example:8443/cb", // another port is only for loopback
      "https://app.example.evil/cb",
      "http://app.example/cb",
      "not a uri",
      "",
    ]) {
      expect(redirectUriMatches(registered, presented), presented).toBe(false);
    }
  });

  it("a loopback IP redirect URI matches on any port, over http (RFC 8252 §7.3)", () => {
    expect(redirectUriMatches(["http://127.0.0.1/cb"], "http://127.0.0.1:51234/cb")).toBe(true);
    expect(redirectUriMatches(["http://127.0.0.1:8000/cb"], "http://127.0.0.1:51234/cb")).toBe(true);
    expect(redirectUriMatches(["http://127.0.0.1:8000/cb"], "http://127.0.0.1/cb")).toBe(true);
    expect(redirectUriMatches(["http://[::1]/cb"], "http://[::1]:51234/cb")).toBe(true);
    // Among other registrations, one of which is not even a URI.
    expect(redirectUriMatches(["not a uri", "https://app.example/cb", "http://127.0.0.1/cb"], "http://127.0.0.1:51234/cb")).toBe(true);
  });

  it("the loopback exception is only the port: path, query, host and scheme stay exact", () => {
    const registered = ["http://127.0.0.1/cb", "http://[::1]/cb"];
    for (const presented of [
      "http://127.0.0.1:51234/cb/",
      "http://127.0.0.1:51234/cbx",
      "http://127.0.0.1:51234/cb?x=1",
      "http://127.0.0.1:51234/cb#x",
      "http://127.0.0.2:51234/cb",
      "http://[::2]:51234/cb",
      "http://user@127.0.0.1:51234/cb",
      // The same place written another way is not the string registered (nor the normal form).
      "http://127.0.0.1:51234/a/../cb",
      "HTTP://127.0.0.1:51234/cb",
      "http://127.0.0.1:51234/%63b",
    ]) {
      expect(redirectUriMatches(registered, presented), presented).toBe(false);
    }
  });

  it("no port freedom for localhost names, https loopback, or a non-loopback registration", () => {
    expect(redirectUriMatches(["http://localhost/cb"], "http://localhost:51234/cb")).toBe(false);
    expect(redirectUriMatches(["https://127.0.0.1/cb"], "https://127.0.0.1:51234/cb")).toBe(false);
    expect(redirectUriMatches(["http://app.example/cb"], "http://app.example:51234/cb")).toBe(false);
    expect(redirectUriMatches(["https://app.example/cb"], "http://127.0.0.1:51234/cb")).toBe(false);
    expect(redirectUriMatches([], "http://127.0.0.1:51234/cb")).toBe(false);
    // A registration that is no URI at all lets nothing through.
    expect(redirectUriMatches(["not a uri"], "http://127.0.0.1:51234/cb")).toBe(false);
  });
});

describe("withQuery", () => {
  it("adds the parameters to the client's own query, and leaves out the undefined ones", () => {
    expect(withQuery("https://app.example/cb?keep=1", { code: "c d", state: undefined, iss: "https://auth.example" })).toBe(
      "https://app.example/cb?keep=1&code=c+d&iss=https%3A%2F%2Fauth.example",
    );
    expect(withQuery("https://app.example/cb", {})).toBe("https://app.example/cb");
  });
});
