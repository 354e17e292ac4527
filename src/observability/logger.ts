import { pino, type DestinationStream, type Logger } from "pino";
import pinoPretty from "pino-pretty";
import type { Config } from "../config.js";

export type LogFormat = "pretty" | "json";

/**
 * Keys whose values never reach a log line, at the top level of a logged object and one level down
 * (`{ body: { password } }`), in the spellings the code uses: the API's snake_case and the services'
 * camelCase. No code path logs any of these today (test/security/ checks a whole flow); this is
 * defence in depth against the next `logger.info({ input })`. Hashes are on the list too: a password
 * hash is an offline-cracking target, and a refresh-token hash or sealed successor is session state.
 */
export const REDACTED_PATHS: readonly string[] = [
  // passwords and their hashes
  ...everywhere("password", "current_password", "new_password", "currentPassword", "newPassword"),
  ...everywhere("passwordHash", "password_hash", "phcHash"),
  // tokens, their hashes and the sealed successor of a rotated refresh token
  ...everywhere("token", "access_token", "accessToken", "refresh_token", "refreshToken"),
  ...everywhere("tokenHash", "presentedHash", "nextHash", "sealedSuccessor"),
  // secrets and signing keys (a logged config object, an options bag)
  ...everywhere("secret", "privateJwks", "signing"),
  "config.jwt.signing",
  "config.metrics.token",
  "JWT_SECRET",
  "JWT_PRIVATE_KEYS",
  "METRICS_TOKEN",
  "OTEL_EXPORTER_OTLP_HEADERS",
  // credentials in headers
  ...everywhere("authorization", "cookie"),
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

function everywhere(...keys: string[]): string[] {
  return keys.flatMap((key) => [key, `*.${key}`]);
}

export const REDACTION_CENSOR = "[redacted]";

/**
 * JSON lines, unless LOG_FORMAT says otherwise or a developer is watching: pretty output when
 * NODE_ENV=development and stdout is a terminal (never in a container, where stdout is a pipe).
 */
export function resolveLogFormat(config: { env?: Config["env"]; logFormat?: LogFormat }, stdoutIsTty: boolean): LogFormat {
  if (config.logFormat) return config.logFormat;
  return config.env === "development" && stdoutIsTty ? "pretty" : "json";
}

export interface CreateLoggerOptions {
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Whether stdout is a terminal; asked of process.stdout by default. */
  stdoutIsTty?: boolean;
}

export function createLogger(
  config: Pick<Config, "logLevel"> & Partial<Pick<Config, "env" | "logFormat">>,
  options: CreateLoggerOptions = {},
): Logger {
  const isTty = options.stdoutIsTty ?? process.stdout.isTTY === true;
  const format = resolveLogFormat(config, isTty);
  return pino(
    {
      level: config.logLevel,
      base: { service: "auth-service" },
      redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
    },
    format === "pretty" ? prettyDestination(options.destination, isTty) : options.destination,
  );
}

/**
 * pino-pretty's formatter used in process, synchronously, rather than as a pino transport: a
 * transport runs in a worker thread and loads pino-pretty there by name, which is more machinery
 * than a developer's terminal needs and behaves differently across runtimes; and a synchronous
 * write keeps the last lines before `process.exit` (shutdown) on screen. Redaction has already
 * happened when a line gets here: pino applies it before serialising.
 */
function prettyDestination(destination: DestinationStream | undefined, colorize: boolean): DestinationStream {
  const prettify = pinoPretty.prettyFactory({ colorize, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" });
  const out = destination ?? process.stdout;
  return {
    write(line: string) {
      out.write(prettify(line));
    },
  };
}
