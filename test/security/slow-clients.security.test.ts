import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Runtime, type ServerProcess } from "../helpers/server-process.js";

/**
 * Slowloris and its kin against the built service as a process, on raw sockets: a client that
 * drips its headers, one that drips its body, one that sends nothing and one that sits idle after
 * an answer are all cut off by the server itself, while a normal client is served. The limits are
 * set to a second or two so the file runs quickly; nothing here asserts how long a cut took, only
 * that the server (not the client) closed the connection, and on Node that it said 408 first.
 */

/** What became of a raw connection: everything the server sent, and whether it closed the connection. */
interface RawOutcome {
  received: string;
  closedByServer: boolean;
}

/**
 * Opens a connection, hands it to `drive` (which writes what it likes, when it likes), and resolves
 * once the server ends or resets it. The client itself never closes it; `giveUpMs` only keeps a
 * failing test from hanging (it then resolves with closedByServer false).
 */
function rawConnection(baseUrl: string, drive: (socket: Socket) => () => void, giveUpMs = 45_000): Promise<RawOutcome> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    let stopDriving = () => {};
    const finish = (closedByServer: boolean) => {
      clearTimeout(giveUp);
      stopDriving();
      socket.destroy();
      resolve({ received, closedByServer });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    // 'end': the server's FIN; 'error' (ECONNRESET, EPIPE): the server's RST. Either is its doing.
    socket.on("end", () => finish(true));
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", () => (stopDriving = drive(socket)));
  });
}

/** Room for Bun's fixed ~10 s header deadline on a loaded machine; no test asserts a duration. */
const GENEROUS_MS = 60_000;

/** Writes `text` one byte every `everyMs`, then keeps quiet (never ends the socket). */
function drip(text: string, everyMs = 200) {
  return (socket: Socket) => {
    let next = 0;
    const timer = setInterval(() => {
      if (next < text.length && socket.writable) socket.write(text[next++]!);
    }, everyMs);
    return () => clearInterval(timer);
  };
}

const LONG_HEADERS = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${"p".repeat(400)}\r\n\r\n`;
const BODY = JSON.stringify({ email: "slow@example.com", password: "not the password of anyone here" });
const BODY_HEADERS = `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n`;

/** Node answers a request that missed its deadline with a 408 before closing; Bun just closes. */
function expectTimedOut(runtime: Runtime, outcome: RawOutcome): void {
  expect(outcome.closedByServer).toBe(true);
  if (runtime === "node") expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
  else expect(outcome.received).not.toMatch(/^HTTP\/1\.1 2/);
}

describe.each<Runtime>(["node", "bun"])("slow clients against the service as a process on %s", (runtime) => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer(runtime, {
      NODE_ENV: "development",
      HTTP_HEADERS_TIMEOUT: "1",
      HTTP_REQUEST_TIMEOUT: "2",
      HTTP_KEEP_ALIVE_TIMEOUT: "1",
    });
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("cuts off a client that drips its headers, and one that sends nothing at all", async () => {
    // On Bun by its own fixed header deadline (~10 s): Bun.serve cannot be told a shorter one.
    const [dripping, silent] = await Promise.all([
      rawConnection(server.baseUrl, drip(LONG_HEADERS)),
      rawConnection(server.baseUrl, () => () => {}),
    ]);
    expectTimedOut(runtime, dripping);
    expectTimedOut(runtime, silent);
  }, GENEROUS_MS);

  it("cuts off a client that sends its headers and then drips the body", async () => {
    const outcome = await rawConnection(server.baseUrl, (socket) => {
      socket.write(BODY_HEADERS);
      return drip(BODY)(socket);
    });
    expectTimedOut(runtime, outcome);
  }, GENEROUS_MS);

  it("answers a keep-alive request, then closes the connection the client leaves idle", async () => {
    const outcome = await rawConnection(server.baseUrl, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      return () => {};
    });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.received).toContain('{"status":"ok"}');
    expect(outcome.closedByServer).toBe(true);
  }, GENEROUS_MS);

  it("still serves a normal client, with and without a body, and is healthy after the slow ones", async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const login = await fetch(`${server.baseUrl}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    expect(login.status).toBe(401);
    // Two requests on one connection within the keep-alive window both get their answer.
    const outcome = await rawConnection(server.baseUrl, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
      return () => {};
    });
    expect(outcome.received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  }, GENEROUS_MS);
});

describe("the connection cap, on Node", () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer("node", { NODE_ENV: "development", HTTP_MAX_CONNECTIONS: "2", HTTP_KEEP_ALIVE_TIMEOUT: "60" });
  });

  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  /** A connection that has had one answer and is kept open; `close()` lets it go. */
  async function heldConnection(): Promise<{ close(): void }> {
    const url = new URL(server.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.on("data", (chunk: Buffer) => {
        if (chunk.toString("latin1").startsWith("HTTP/1.1 200 ")) resolve();
      });
      socket.once("connect", () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    });
    return { close: () => socket.destroy() };
  }

  it("closes connections beyond HTTP_MAX_CONNECTIONS at once, and serves again when one is let go", async () => {
    const first = await heldConnection();
    const second = await heldConnection();
    const third = await rawConnection(server.baseUrl, (socket) => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      return () => {};
    });
    expect(third).toEqual({ received: "", closedByServer: true });

    first.close();
    second.close();
    // The server counts a connection gone once it has seen it close: retry until it has.
    await expect.poll(async () => (await fetch(`${server.baseUrl}/healthz`).catch(() => undefined))?.status, { timeout: 10_000 }).toBe(200);
  }, GENEROUS_MS);
});
