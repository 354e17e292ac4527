import { HiddenFields, Page, type FormPageProps } from "./layout.js";

export interface ConsentPageProps extends FormPageProps {
  clientName: string;
  /** What the client asks for, in words (scopes.ts: describeScopes). */
  scopes: readonly { name: string; description: string }[];
  userEmail: string;
}

/** What a third-party client asks for, and two buttons: `decision=allow` or `decision=deny`. */
export function ConsentPage(props: ConsentPageProps) {
  const { branding, nonce, action, clientName, scopes, userEmail } = props;
  return (
    <Page branding={branding} nonce={nonce} title={`Allow ${clientName}?`}>
      <p>
        <strong>{clientName}</strong> wants to access your account <strong>{userEmail}</strong>. It will be able to:
      </p>
      <ul class="scopes">
        {scopes.map((scope) => (
          <li data-scope={scope.name}>{scope.description}</li>
        ))}
      </ul>
      <p class="muted">You can withdraw this permission at any time.</p>
      <form method="post" action={action}>
        <HiddenFields csrfToken={props.csrfToken} hiddenFields={props.hiddenFields} />
        <div class="actions">
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
          <button type="submit" name="decision" value="allow">
            Allow
          </button>
        </div>
      </form>
    </Page>
  );
}
