import { z } from "@hono/zod-openapi";
import { atMostOneSecondFactor, SECOND_FACTOR_FIELDS } from "../mfa/mfa.schemas.js";
import { EmailSchema, EXAMPLE, PasswordSchema } from "../auth/auth.schemas.js";

const EXAMPLE_TOKEN = "q3Jd0m1S6yFv4nR0kqH0r1m2mXqg6rD3w9sX2cV5bN8";

/** The token from a link's `?token=`; its exact shape is checked by the service (a wrong one is INVALID_ONE_TIME_TOKEN). */
const OneTimeTokenSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(512, "must be at most 512 characters")
  .openapi({ description: "The `token` query parameter of the link in the message", example: EXAMPLE_TOKEN });

export const VerifyEmailBodySchema = z.object({ token: OneTimeTokenSchema }).openapi("VerifyEmailRequest", { example: { token: EXAMPLE_TOKEN } });

export const ForgotPasswordBodySchema = z.object({ email: EmailSchema }).openapi("ForgotPasswordRequest", { example: { email: EXAMPLE.email } });

/** `new_password` meets the same rule as at registration (PasswordSchema): a failing one is a 400 and spends nothing. */
export const ResetPasswordBodySchema = z
  .object({ token: OneTimeTokenSchema, new_password: PasswordSchema })
  .openapi("ResetPasswordRequest", { example: { token: EXAMPLE_TOKEN, new_password: "a quieter harbour at dawn" } });

export const ChangeEmailBodySchema = z
  .object({
    new_email: EmailSchema,
    password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1024, "must be at most 1024 characters").openapi({ type: "string", format: "password" }),
    ...SECOND_FACTOR_FIELDS,
  })
  .refine(...atMostOneSecondFactor)
  .openapi("ChangeEmailRequest", { example: { new_email: "ada.lovelace@example.org", password: EXAMPLE.password } });
