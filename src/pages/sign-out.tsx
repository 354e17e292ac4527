import { HiddenFields, Page, type FormPageProps, type PageBaseProps } from "./layout.js";

export interface LogoutConfirmPageProps extends FormPageProps {
  /** The client that asked for the sign-out, when known. */
  clientName?: string | undefined;
}

/** "Sign out?": `decision=confirm` signs out, `decision=cancel` keeps the session. */
export function LogoutConfirmPage(props: LogoutConfirmPageProps) {
  const { branding, nonce, action, clientName } = props;
  return (
    <Page branding={branding} nonce={nonce} title="Sign out?">
      <p>{clientName ? <>{clientName} asks to sign you out of {branding.productName}.</> : <>Sign out of {branding.productName} on this browser?</>}</p>
      <form method="post" action={action}>
        <HiddenFields csrfToken={props.csrfToken} hiddenFields={props.hiddenFields} />
        <div class="actions">
          <button type="submit" name="decision" value="cancel" class="secondary">
            Cancel
          </button>
          <button type="submit" name="decision" value="confirm">
            Sign out
          </button>
        </div>
      </form>
    </Page>
  );
}

/** After a sign-out with nowhere to return to. */
export function SignedOutPage({ branding, nonce }: PageBaseProps) {
  return (
    <Page branding={branding} nonce={nonce} title="Signed out">
      <p>You are signed out of {branding.productName}. You can close this window.</p>
    </Page>
  );
}
