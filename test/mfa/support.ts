import { Secret, TOTP } from "otpauth";

/** An authenticator app holding `secret`, reading the app's test clock (shifted by whole steps). */
export function authenticator(secret: string, clock: () => Date) {
  const totp = new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return (stepOffset = 0) => totp.generate({ timestamp: clock().getTime() + stepOffset * 30_000 });
}
