/**
 * Mail: the Mailer interface and its implementations (SMTP, an outbox directory for development,
 * unconfigured), the message templates, and the durable outbox queue that sends in the background.
 * See README.md in this folder for the configuration and the template scheme.
 */
export { MailNotConfiguredError, type Mailer, type MailMessage } from "./mailer.js";
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions } from "./smtp-mailer.js";
export { createOutboxDirectoryMailer, type OutboxDirectoryMailerOptions } from "./outbox-directory-mailer.js";
export { createUnconfiguredMailer } from "./unconfigured-mailer.js";
export {
  createMailTemplates,
  defaultMailLinkPaths,
  mailTemplateNames,
  type MailLinkTemplateName,
  type MailTemplateInputs,
  type MailTemplateName,
  type MailTemplates,
  type MailTemplatesOptions,
  type MailTemplateSource,
} from "./templates.js";
export {
  createMailQueue,
  type MailQueue,
  type MailQueueDrainResult,
  type MailQueueEvent,
  type MailQueueOptions,
} from "./mail-queue.js";
export { createMailer, type MailerSelectionOptions } from "./select-mailer.js";
export { createOutboxSealer, type OutboxSealer, type SealContext } from "./outbox-sealing.js";
