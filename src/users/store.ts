/** A user as the service sees it. The password hash never leaves the service layer. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  /** Whether the user proved the address (a verification or email-change link). */
  emailVerified: boolean;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithPasswordHash extends User {
  passwordHash: string;
}

export interface NewUser {
  id: string;
  /** Already normalised (trimmed, lower-cased) by the caller. */
  email: string;
  name: string | null;
  passwordHash: string;
}

export interface UserListQuery {
  /** Case-insensitive substring of the email. */
  emailContains?: string;
  /** Only users whose id sorts after this one (ids are UUIDv7: creation order). */
  afterId?: string;
  limit: number;
}

export interface UserChanges {
  name?: string | null;
  roles?: string[];
  disabledAt?: Date | null;
}

export interface UserStore {
  /** Inserts the user; returns null, without throwing, when the email is taken (in any case). */
  create(user: NewUser): Promise<User | null>;
  /** Looks up by normalised email; null when absent. */
  findByEmail(email: string): Promise<UserWithPasswordHash | null>;
  /** Null when absent. */
  findById(id: string): Promise<User | null>;
  /** Like findById, with the password hash, for re-checking a password. */
  findByIdWithPasswordHash(id: string): Promise<UserWithPasswordHash | null>;
  /** Replaces the stored hash (the upgrade of a weaker hash at login, a password change). */
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Applies the changes given and bumps updated_at; null when the user does not exist. */
  update(id: string, changes: UserChanges): Promise<User | null>;
  /** Marks the address verified, only while it is still `email` (a link to an old address proves nothing now); null otherwise. */
  markEmailVerified(id: string, email: string): Promise<User | null>;
  /**
   * Sets a new (normalised) address, verified, bumping updated_at: `"taken"` when another account
   * holds it in any case (the unique index decides, so a registration racing in loses or wins
   * cleanly), null when the user does not exist.
   */
  changeEmail(id: string, email: string): Promise<User | "taken" | null>;
  /** Deletes the user (their events and SQL sessions go with them); whether it existed. */
  delete(id: string): Promise<boolean>;
  /** Users in id order (= creation order), so a cursor never skips or repeats while users are added. */
  list(query: UserListQuery): Promise<User[]>;
}
