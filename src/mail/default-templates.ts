import type { MailTemplateName, MailTemplateSource } from "./templates.js";

/**
 * The built-in messages, in the same `{{placeholder}}` form a deployer's template files use, so one
 * renderer (and one escaper) serves both. In the text parts `{{link}}` stands on a line of its own:
 * mail clients make a bare URL clickable only when nothing clings to it, and a wrapped line breaks it.
 */
const style = {
  body: "font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;",
  button: "display:inline-block;padding:10px 18px;border-radius:6px;background:#1f6feb;color:#ffffff;text-decoration:none;",
  small: "font-size:13px;color:#59636e;",
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="${style.body}">
${body}
</body>
</html>
`;
}

function linkBlock(label: string): string {
  return `<p><a href="{{link}}" style="${style.button}">${label}</a></p>
<p style="${style.small}">Or copy this link into your browser:<br><a href="{{link}}">{{link}}</a></p>`;
}

export const defaultTemplates: Record<MailTemplateName, MailTemplateSource> = {
  "verify-email": {
    subject: "Confirm your email address for {{product}}",
    text: `Hello {{name}},

please confirm that {{email}} is your email address for {{product}} by opening this link:

{{link}}

If you did not sign up for {{product}}, you can ignore this message.
`,
    html: page(
      "Confirm your email address",
      `<p>Hello {{name}},</p>
<p>please confirm that <strong>{{email}}</strong> is your email address for {{product}}.</p>
${linkBlock("Confirm email address")}
<p style="${style.small}">If you did not sign up for {{product}}, you can ignore this message.</p>`,
    ),
  },
  "reset-password": {
    subject: "Reset your {{product}} password",
    text: `Hello {{name}},

somebody asked to reset the password of the {{product}} account {{email}}. To choose a new password, open this link:

{{link}}

If it was not you, ignore this message: your password stays as it is.
`,
    html: page(
      "Reset your password",
      `<p>Hello {{name}},</p>
<p>somebody asked to reset the password of the {{product}} account <strong>{{email}}</strong>.</p>
${linkBlock("Choose a new password")}
<p style="${style.small}">If it was not you, ignore this message: your password stays as it is.</p>`,
    ),
  },
  "confirm-email-change": {
    subject: "Confirm your new email address for {{product}}",
    text: `Hello {{name}},

to make {{newEmail}} the email address of your {{product}} account, open this link:

{{link}}

Until you do, the account keeps its current address. If you did not ask for this, ignore this message.
`,
    html: page(
      "Confirm your new email address",
      `<p>Hello {{name}},</p>
<p>to make <strong>{{newEmail}}</strong> the email address of your {{product}} account, confirm it:</p>
${linkBlock("Confirm new email address")}
<p style="${style.small}">Until you do, the account keeps its current address. If you did not ask for this, ignore this message.</p>`,
    ),
  },
  "email-changed-notice": {
    subject: "The email address of your {{product}} account was changed",
    text: `Hello {{name}},

the email address of your {{product}} account was changed from {{email}} to {{newEmail}}. Messages about the account now go to the new address.

If you did not make this change, contact {{product}} support at once: someone else may have access to your account.
`,
    html: page(
      "Your email address was changed",
      `<p>Hello {{name}},</p>
<p>the email address of your {{product}} account was changed from <strong>{{email}}</strong> to <strong>{{newEmail}}</strong>. Messages about the account now go to the new address.</p>
<p>If you did not make this change, contact {{product}} support at once: someone else may have access to your account.</p>`,
    ),
  },
  "password-changed-notice": {
    subject: "Your {{product}} password was changed",
    text: `Hello {{name}},

the password of your {{product}} account {{email}} was just changed.

If you did not make this change, reset your password and contact {{product}} support at once.
`,
    html: page(
      "Your password was changed",
      `<p>Hello {{name}},</p>
<p>the password of your {{product}} account <strong>{{email}}</strong> was just changed.</p>
<p>If you did not make this change, reset your password and contact {{product}} support at once.</p>`,
    ),
  },
};
