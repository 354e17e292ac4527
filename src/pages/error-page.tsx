import { Page, type PageBaseProps } from "./layout.js";

export interface ErrorPageProps extends PageBaseProps {
  title: string;
  /** What the user can understand and do; never an exception's text. */
  message: string;
  /** The X-Request-Id, for a support request. */
  requestId?: string | undefined;
}

/** An error shown to a person (an unknown client, a redirect URI that does not match, an expired request). */
export function ErrorPage({ branding, nonce, title, message, requestId }: ErrorPageProps) {
  return (
    <Page branding={branding} nonce={nonce} title={title}>
      <p>{message}</p>
      {requestId && (
        <p class="muted">
          Reference: <code>{requestId}</code>
        </p>
      )}
    </Page>
  );
}
