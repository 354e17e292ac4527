import { ProblemError } from "../../http/problem.js";
import { randomBytes, toBase64Url } from "../../lib/encoding.js";
import { clientRuleViolations, DEFAULT_SCOPES } from "./client-metadata.js";
import { generateClientSecret, hashClientSecret } from "./client-secret.js";
import type { ClientAuthMethod, ClientStore, GrantType, OAuthClient, OAuthClientPatch } from "./store.js";

export interface ClientServiceOptions {
  clients: ClientStore;
  clock: () => Date;
  /** Ends every grant (session, refresh token) of a client; called before the client is deleted. */
  endGrants: (clientId: string) => Promise<void>;
}

export interface CreateClientInput {
  name: string;
  type: OAuthClient["type"];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Default: authorization_code, plus refresh_token. */
  grantTypes?: GrantType[];
  /** Default: openid profile email. */
  scopes?: string[];
  firstParty?: boolean;
  /** Default: client_secret_basic for confidential clients; always none for public ones. */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  jwks?: OAuthClient["jwks"];
}

export interface ClientService {
  /** Registers a client; `clientSecret` is returned this once for a client that authenticates with one. */
  create(input: CreateClientInput): Promise<{ client: OAuthClient; clientSecret?: string }>;
  list(): Promise<OAuthClient[]>;
  get(id: string): Promise<OAuthClient>;
  update(id: string, patch: OAuthClientPatch): Promise<OAuthClient>;
  /** Ends the client's grants, then deletes it. */
  delete(id: string): Promise<void>;
  /** A new secret (shown once); the old one stops working at once. */
  rotateSecret(id: string): Promise<string>;
}

const notFound = () => new ProblemError("CLIENT_NOT_FOUND", { detail: "No OAuth client with this client_id." });
const usesSecret = (method: ClientAuthMethod) => method === "client_secret_basic" || method === "client_secret_post";

/** The client registry's rules (admin API and CLI); knows nothing of HTTP. */
export function createClientService(options: ClientServiceOptions): ClientService {
  const { clients, clock, endGrants } = options;

  function check(client: Parameters<typeof clientRuleViolations>[0]): void {
    const errors = clientRuleViolations(client);
    if (errors.length > 0) throw new ProblemError("VALIDATION_FAILED", { detail: "The client's settings break a registration rule; see errors.", errors });
  }

  async function existing(id: string): Promise<OAuthClient> {
    const client = await clients.get(id);
    if (!client) throw notFound();
    return client;
  }

  return {
    async create(input) {
      const now = clock();
      const client: OAuthClient = {
        // 128 random bits: unguessable and URL-safe; a client_id is not a secret, but need not be enumerable.
        id: toBase64Url(randomBytes(16)),
        name: input.name,
        type: input.type,
        redirectUris: input.redirectUris ?? [],
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        grantTypes: input.grantTypes ?? ["authorization_code", "refresh_token"],
        scopes: input.scopes ?? DEFAULT_SCOPES,
        firstParty: input.firstParty ?? false,
        tokenEndpointAuthMethod: input.type === "public" ? (input.tokenEndpointAuthMethod ?? "none") : (input.tokenEndpointAuthMethod ?? "client_secret_basic"),
        jwks: input.jwks ?? null,
        createdAt: now,
        updatedAt: now,
      };
      check(client);
      const clientSecret = usesSecret(client.tokenEndpointAuthMethod) ? generateClientSecret() : undefined;
      const created = await clients.create(client, clientSecret ? await hashClientSecret(clientSecret) : null);
      return { client: created, ...(clientSecret && { clientSecret }) };
    },

    list: () => clients.list(),

    get: existing,

    async update(id, patch) {
      const before = await existing(id);
      check({ ...before, ...patch });
      const updated = await clients.update(id, patch, clock());
      if (!updated) throw notFound();
      // A client moved off the secret methods keeps no secret that could still be presented.
      if (usesSecret(before.tokenEndpointAuthMethod) && !usesSecret(updated.tokenEndpointAuthMethod)) await clients.setSecretHash(id, null, clock());
      return updated;
    },

    async delete(id) {
      await existing(id);
      await endGrants(id);
      if (!(await clients.delete(id))) throw notFound();
    },

    async rotateSecret(id) {
      const client = await existing(id);
      if (!usesSecret(client.tokenEndpointAuthMethod)) {
        throw new ProblemError("CLIENT_HAS_NO_SECRET", { detail: `This client authenticates with ${client.tokenEndpointAuthMethod}, not a secret.` });
      }
      const secret = generateClientSecret();
      if (!(await clients.setSecretHash(id, await hashClientSecret(secret), clock()))) throw notFound();
      return secret;
    },
  };
}
