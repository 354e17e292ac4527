import type { Config } from "../../src/config.js";
import { createSigningKeys, type SigningKeys } from "../../src/tokens/jwt.js";

/**
 * The service's signing keys from its config, as src/bootstrap.ts builds them: the yardstick
 * verifies with them and the HTTP run mints never-seen access tokens with them. The benchmark always
 * passes JWT_SECRET or JWT_PRIVATE_KEYS, so there is no development key to fall back on.
 */
export function signingKeysFromConfig(config: Pick<Config, "jwt">): Promise<SigningKeys> {
  return createSigningKeys(config.jwt.signing);
}
