import { ErrorMessage, HiddenFields, Page, type FormPageProps } from "./layout.js";

export type SecondFactorMethod = "totp" | "recovery_code";

export interface SecondFactorPageProps extends FormPageProps {
  /** What the account has; `recovery_code` alone shows only that field. */
  methods: readonly SecondFactorMethod[];
  error?: string | undefined;
}

/**
 * The second step: a one-time code (`code`), or a recovery code (`recovery_code`) behind a
 * <details> disclosure, which opens without JavaScript. Each field has its own form and submit
 * button, so a browser sends exactly one of the two.
 */
export function SecondFactorPage(props: SecondFactorPageProps) {
  const { branding, nonce, action, methods, error } = props;
  const invalid = error ? { "aria-invalid": "true", "aria-describedby": "second-factor-error" } : {};
  const totp = methods.includes("totp");
  const recovery = methods.includes("recovery_code");
  const recoveryForm = (
    <form method="post" action={action}>
      <HiddenFields csrfToken={props.csrfToken} hiddenFields={props.hiddenFields} />
      <div class="field">
        <label for="recovery_code">Recovery code</label>
        <input id="recovery_code" name="recovery_code" type="text" autocomplete="off" autocapitalize="none" spellcheck={false} required {...invalid} />
      </div>
      <button type="submit" class={totp ? "secondary" : undefined}>
        Use recovery code
      </button>
    </form>
  );
  return (
    <Page branding={branding} nonce={nonce} title="Two-step verification">
      <p class="muted">{totp ? "Enter the 6-digit code from your authenticator app." : "Enter one of your recovery codes."}</p>
      {error && <ErrorMessage id="second-factor-error" message={error} />}
      {totp && (
        <form method="post" action={action}>
          <HiddenFields csrfToken={props.csrfToken} hiddenFields={props.hiddenFields} />
          <div class="field">
            <label for="code">Authentication code</label>
            <input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" required autofocus {...invalid} />
          </div>
          <button type="submit">Verify</button>
        </form>
      )}
      {recovery && totp && (
        <details>
          <summary>Use a recovery code instead</summary>
          {recoveryForm}
        </details>
      )}
      {recovery && !totp && recoveryForm}
    </Page>
  );
}
