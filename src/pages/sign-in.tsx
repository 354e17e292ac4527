import { raw } from "hono/html";
import { ErrorMessage, HiddenFields, Page, type FormPageProps } from "./layout.js";
import { PASSKEY_SCRIPT } from "./passkey-script.js";

export interface FederationButton {
  id: string;
  name: string;
  /** A path of this service that starts the federated sign-in. */
  href: string;
}

export interface SignInPageProps extends FormPageProps {
  /** Filled in again after a failed attempt. */
  email?: string | undefined;
  /** Shown in an announced alert; the fields are marked invalid and described by it. */
  error?: string | undefined;
  clientName: string;
  /** Offer "Sign in with a passkey" (it stays hidden in a browser without WebAuthn). */
  passkeys: boolean;
  federationButtons?: readonly FederationButton[] | undefined;
}

/**
 * Email and password, posted to `action`; with `passkeys`, a button whose script (passkey-script.ts)
 * posts to `<action>/passkey/options` and `<action>/passkey`, so `action` is a path without a query.
 */
export function SignInPage(props: SignInPageProps) {
  const { branding, nonce, action, error, clientName, passkeys, federationButtons } = props;
  const invalid = error ? { "aria-invalid": "true", "aria-describedby": "sign-in-error" } : {};
  return (
    <Page branding={branding} nonce={nonce} title="Sign in">
      <p class="muted">Signing in to {clientName}</p>
      {error && <ErrorMessage id="sign-in-error" message={error} />}
      <form id="sign-in-form" method="post" action={action}>
        <HiddenFields csrfToken={props.csrfToken} hiddenFields={props.hiddenFields} />
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username webauthn" required value={props.email ?? ""} {...invalid} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required {...invalid} />
        </div>
        <button type="submit">Sign in</button>
      </form>
      {passkeys && (
        <>
          <p id="passkey-divider" class="divider" hidden>
            or
          </p>
          <button id="passkey-button" type="button" class="secondary" hidden>
            Sign in with a passkey
          </button>
          <ErrorMessage id="passkey-error" />
          <script nonce={nonce}>{raw(PASSKEY_SCRIPT)}</script>
        </>
      )}
      {federationButtons && federationButtons.length > 0 && (
        <nav aria-label="Other ways to sign in">
          {federationButtons.map((button) => (
            <p>
              <a id={`federation-${button.id}`} href={button.href}>
                Continue with {button.name}
              </a>
            </p>
          ))}
        </nav>
      )}
    </Page>
  );
}
