import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMailTemplates, mailTemplateNames, type MailTemplateInputs, type MailTemplateName } from "../../src/mail/index.js";

const appUrl = "https://app.example.test/";
const token = "t0k+/=&?#é";

const inputs: { [N in MailTemplateName]: MailTemplateInputs[N] } = {
  "verify-email": { to: "ada@example.test", token, name: "Ada" },
  "reset-password": { to: "ada@example.test", token, name: "Ada" },
  "confirm-email-change": { to: "new@example.test", token, name: "Ada" },
  "email-changed-notice": { to: "old@example.test", newEmail: "new@example.test", name: "Ada" },
  "password-changed-notice": { to: "ada@example.test", name: null },
};
const linkTemplates = new Set<MailTemplateName>(["verify-email", "reset-password", "confirm-email-change"]);

function render<N extends MailTemplateName>(templates: Awaited<ReturnType<typeof createMailTemplates>>, name: N) {
  return templates.render(name, inputs[name]);
}

describe("built-in templates", () => {
  it.each(mailTemplateNames)("%s has a subject, a text and an HTML part; a link, if any, on its own line", async (name) => {
    const templates = await createMailTemplates({ product: "Example", appUrl });
    const message = render(templates, name);
    expect(message.to).toBe(inputs[name].to);
    expect(message.subject).toContain("Example");
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.text).toContain("Example");
    expect(message.html).toMatch(/^<!DOCTYPE html>/);
    expect(message.text).not.toMatch(/\{\{|\}\}/);
    expect(message.html).not.toMatch(/\{\{|\}\}/);
    if (linkTemplates.has(name)) {
      const link = templates.link(name as "verify-email", token);
      expect(message.text.split("\n")).toContain(link);
      expect(message.html).toContain(link.replaceAll("&", "&amp;"));
      expect(message.subject).not.toContain("token");
    } else {
      expect(message.text).not.toContain("token=");
    }
  });

  it("builds links from the app URL and the configured path, with the token URL-encoded", async () => {
    const templates = await createMailTemplates({
      product: "Example",
      appUrl: "https://app.example.test/base/",
      linkPaths: { "reset-password": "account/reset?lang=en" },
    });
    const reset = new URL(templates.link("reset-password", token));
    expect(reset.origin + reset.pathname).toBe("https://app.example.test/base/account/reset");
    expect(reset.searchParams.get("lang")).toBe("en");
    expect(reset.searchParams.get("token")).toBe(token);
    expect(reset.hash).toBe("");
    expect(templates.link("verify-email", "abc")).toBe("https://app.example.test/verify-email?token=abc");
  });

  it("names the old and the new address in the notice to the old address", async () => {
    const templates = await createMailTemplates({ product: "Example", appUrl });
    const notice = render(templates, "email-changed-notice");
    expect(notice.to).toBe("old@example.test");
    expect(notice.text).toContain("from old@example.test to new@example.test");
  });

  it("falls back to the address when there is no display name", async () => {
    const templates = await createMailTemplates({ product: "Example", appUrl });
    expect(render(templates, "password-changed-notice").text).toMatch(/^Hello ada@example\.test,/);
  });

  it("escapes every value in HTML and keeps values to one line in text and subject", async () => {
    const templates = await createMailTemplates({ product: "<script>alert('p')</script>", appUrl });
    const message = templates.render("verify-email", {
      to: "ada@example.test",
      token,
      name: "Mallory\r\n\r\nhttps://evil.example.test/reset?token=x\n<b>",
    });
    expect(message.html).not.toContain("<script>");
    expect(message.html).not.toContain("<b>");
    expect(message.html).toContain("&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt;");
    expect(message.subject).toBe("Confirm your email address for <script>alert('p')</script>");
    const lines = message.text.split("\n");
    expect(lines).not.toContain("https://evil.example.test/reset?token=x");
    expect(lines[0]).toBe("Hello Mallory https://evil.example.test/reset?token=x <b>,");
  });

  it("refuses an app URL that is not http(s)", async () => {
    await expect(createMailTemplates({ product: "Example", appUrl: "javascript:alert(1)" })).rejects.toThrow(/http/);
  });
});

describe("templates from a directory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mail-templates-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("replaces the parts whose files exist and keeps the defaults for the rest", async () => {
    await writeFile(join(dir, "reset-password.subject"), "{{ product }}: new password\n");
    await writeFile(join(dir, "reset-password.txt"), "Hi {{name}} ({{email}}),\n\n  {{link}}\n\n-- {{product}}\n");
    await writeFile(join(dir, "reset-password.html"), `<p class="x">Hi {{name}}, <a href="{{link}}">reset</a> for {{product}}</p>`);
    await writeFile(join(dir, "verify-email.subject"), "Welcome to {{product}}");
    const templates = await createMailTemplates({ product: "A&B <Co>", appUrl, templatesDir: dir });

    const reset = templates.render("reset-password", { to: "ada@example.test", token, name: `"Ada"` });
    const link = templates.link("reset-password", token);
    expect(reset.subject).toBe("A&B <Co>: new password");
    expect(reset.text).toBe(`Hi "Ada" (ada@example.test),\n\n  ${link}\n\n-- A&B <Co>\n`);
    expect(reset.html).toBe(`<p class="x">Hi &quot;Ada&quot;, <a href="${link.replaceAll("&", "&amp;")}">reset</a> for A&amp;B &lt;Co&gt;</p>`);

    const verify = templates.render("verify-email", { to: "ada@example.test", token, name: "Ada" });
    expect(verify.subject).toBe("Welcome to A&B <Co>");
    expect(verify.text).toContain("please confirm that ada@example.test");
  });

  it.each([
    ["reset-password.txt", "Hello {{user}}\n{{link}}\n", /unknown placeholder \{\{user\}\}/],
    ["password-changed-notice.txt", "Hello\n{{link}}\n", /unknown placeholder \{\{link\}\}/],
    ["reset-password.txt", "Hello, no link here\n", /must contain \{\{link\}\}/],
    ["verify-email.html", "<p>no link</p>", /must contain \{\{link\}\}/],
    ["reset-password.txt", "Open {{link}} now\n", /alone on its line/],
    ["reset-password.subject", "Your link: {{link}}", /unknown placeholder \{\{link\}\}/],
    ["verify-email.subject", "two\nlines\n", /single line/],
  ])("refuses %s containing %j at start", async (file, content, message) => {
    await writeFile(join(dir, file), content);
    await expect(createMailTemplates({ product: "Example", appUrl, templatesDir: dir })).rejects.toThrow(message);
  });
});
