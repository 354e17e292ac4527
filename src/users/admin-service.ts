import { ProblemError } from "../http/problem.js";
import type { SessionStore } from "../sessions/store.js";
import type { User, UserStore } from "./store.js";
import type { Caller } from "./account-service.js";
import type { RecordSecurityEvent } from "../events/recorder.js";
import type { ClientInfo } from "../auth/auth-service.js";

export interface AdminServiceOptions {
  users: UserStore;
  sessions: SessionStore;
  clock: () => Date;
  recordEvent: RecordSecurityEvent;
  /** The MFA service's reset (it records `mfa_disabled` naming the admin); answers whether there was a factor. */
  resetSecondFactors: (input: { actorId: string; userId: string } & ClientInfo) => Promise<boolean>;
}

export interface UserPage {
  items: User[];
  /** Pass back as `afterId` for the next page; null on the last page. */
  nextAfterId: string | null;
}

export interface AdminService {
  listUsers(query: { emailContains?: string; afterId?: string; limit: number }): Promise<UserPage>;
  getUser(userId: string): Promise<User & { sessionCount: number }>;
  updateUser(admin: Caller, userId: string, changes: { roles?: string[]; disabled?: boolean }): Promise<User>;
  revokeSessions(admin: Caller, userId: string): Promise<number>;
  /**
   * Removes a user's second factors and recovery codes (a lost device): the next login needs the
   * password only. Sessions are kept; an admin who suspects a takeover also ends them.
   */
  resetSecondFactors(admin: Caller, userId: string): Promise<boolean>;
}

const notFound = () => new ProblemError("NOT_FOUND", { detail: "No such user." });

/** Operators' actions on other accounts; each is a security event of the affected user naming the admin. */
export function createAdminService(options: AdminServiceOptions): AdminService {
  const { users, sessions, clock, recordEvent } = options;
  const eventBy = (admin: Caller, userId: string, details?: Record<string, unknown>) => ({
    userId,
    actorId: admin.userId,
    ip: admin.ip,
    userAgent: admin.userAgent,
    details: details ?? null,
  });

  return {
    async listUsers({ emailContains, afterId, limit }) {
      // One extra row tells whether another page exists without a count query.
      const rows = await users.list({ emailContains, afterId, limit: limit + 1 });
      const items = rows.slice(0, limit);
      return { items, nextAfterId: rows.length > limit ? items[items.length - 1]!.id : null };
    },

    async getUser(userId) {
      const user = await users.findById(userId);
      if (!user) throw notFound();
      const live = await sessions.listByUser(userId, clock());
      return { ...user, sessionCount: live.length };
    },

    async updateUser(admin, userId, { roles, disabled }) {
      const before = await users.findById(userId);
      if (!before) throw notFound();
      if (userId === admin.userId && (disabled === true || (roles !== undefined && !roles.includes("admin")))) {
        // The last way back in would be the command line: refuse to lock yourself out.
        throw new ProblemError("CONFLICT", { detail: "Admins cannot disable themselves or drop their own admin role." });
      }
      const disabledAt = disabled === undefined ? undefined : disabled ? (before.disabledAt ?? clock()) : null;
      const user = await users.update(userId, {
        ...(roles !== undefined && { roles: [...new Set(roles)] }),
        ...(disabledAt !== undefined && { disabledAt }),
      });
      if (!user) throw notFound();

      if (roles !== undefined && roles.join() !== before.roles.join()) {
        await recordEvent("roles_changed", eventBy(admin, userId, { from: before.roles, to: user.roles }));
      }
      if (disabled === true && !before.disabledAt) {
        // Disabling takes effect at once: every session ends, so its access tokens fail here too.
        const revoked = await sessions.revokeAllForUser(userId);
        await recordEvent("account_disabled", eventBy(admin, userId, { sessions_revoked: revoked }));
      }
      if (disabled === false && before.disabledAt) await recordEvent("account_enabled", eventBy(admin, userId));
      return user;
    },

    async revokeSessions(admin, userId) {
      if (!(await users.findById(userId))) throw notFound();
      const revoked = await sessions.revokeAllForUser(userId);
      await recordEvent("sessions_revoked_by_admin", eventBy(admin, userId, { sessions_revoked: revoked }));
      return revoked;
    },

    async resetSecondFactors(admin, userId) {
      if (!(await users.findById(userId))) throw notFound();
      return options.resetSecondFactors({ actorId: admin.userId, userId, ip: admin.ip, userAgent: admin.userAgent });
    },
  };
}
