import type { Config } from "../../src/config.js";
import {
  createAsymmetricSigningKeys,
  createHmacSigningKeys,
  type PrivateSigningJwk,
  type SigningKeys,
} from "../../src/crypto/jwt.js";

/**
 * The service's signing keys from its config, as src/bootstrap.ts builds them: the yardstick
 * verifies with them and the HTTP run mints never-seen access tokens with them. The benchmark always
 * passes JWT_SECRET or JWT_PRIVATE_KEYS, so the development key (a file under DATA_DIR) never applies.
 */
export async function signingKeysFromConfig(config: Pick<Config, "jwt">): Promise<SigningKeys> {
  const { signing } = config.jwt;
  switch (signing.kind) {
    case "hmac":
      return createHmacSigningKeys(signing.secret);
    case "asymmetric":
      return createAsymmetricSigningKeys(signing.privateJwks as PrivateSigningJwk[]);
    case "development-key":
      throw new Error("the benchmark needs JWT_SECRET or JWT_PRIVATE_KEYS, the same as the service under test");
  }
}
