/** A user as the service sees it. The password hash never leaves the service layer. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
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

export interface UserStore {
  /** Inserts the user; returns null, without throwing, when the email is taken (in any case). */
  create(user: NewUser): Promise<User | null>;
  /** Looks up by normalised email; null when absent. */
  findByEmail(email: string): Promise<UserWithPasswordHash | null>;
  /** Null when absent. */
  findById(id: string): Promise<User | null>;
  /** Replaces the stored hash (the upgrade of a weaker hash at login, a password change). */
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
}
