import { isUuid, newId } from "@tessera/kit";
import { emailKey, emailProblem, normalizePassword, passwordProblem } from "./account-input.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import { hashPassword, verifyNoPassword, verifyPassword } from "./password.ts";
import type { User, UserRole, UserStore } from "./user-store.ts";

export type AccountErrorCode = "invalid-input" | "email-taken" | "bad-credentials" | "locked";

/** Why a registration or sign-in was refused; `message` is meant for the person at the form. */
export class AccountError extends Error {
  readonly code: AccountErrorCode;
  /** invalid-input: the form field at fault. */
  readonly field: "email" | "password" | undefined;
  /** locked: seconds until sign-ins for the address are accepted again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: AccountErrorCode,
    message: string,
    details: { field?: "email" | "password"; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = "AccountError";
    this.code = code;
    this.field = details.field;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

export interface AccountsOptions {
  users: UserStore;
  throttle: LoginThrottle;
  clock: () => Date;
}

/** Registration and sign-in: the rules, with the SQL in the stores. */
export class Accounts {
  readonly #users: UserStore;
  readonly #throttle: LoginThrottle;
  readonly #clock: () => Date;

  constructor({ users, throttle, clock }: AccountsOptions) {
    this.#users = users;
    this.#throttle = throttle;
    this.#clock = clock;
  }

  /** The user with this id, or undefined (also for an id that is not a UUID). */
  find(id: string): Promise<User | undefined> {
    return isUuid(id) ? this.#users.findById(id) : Promise.resolve(undefined);
  }

  /** A new customer account. Throws invalid-input or email-taken. */
  async register(email: string, password: string): Promise<User> {
    const address = email.trim();
    checkInput(address, password, { choosing: true });
    const taken = new AccountError(
      "email-taken",
      "An account with this e-mail address exists. Sign in instead.",
      {
        field: "email",
      },
    );
    if (await this.#users.findByEmail(address)) throw taken;
    const user = await this.#users.insert({
      id: newId(),
      email: address,
      passwordHash: await hashPassword(normalizePassword(password)),
      roles: ["customer"],
      createdAt: this.#clock(),
    });
    if (!user) throw taken;
    return user;
  }

  /**
   * The user whose e-mail and password these are. Throws invalid-input, bad-credentials or — after
   * too many failures for the address — locked, whatever the password.
   */
  async authenticate(email: string, password: string): Promise<User> {
    const address = email.trim();
    checkInput(address, password, { choosing: false });
    const key = emailKey(address);
    const lockedUntil = await this.#throttle.lockedUntil(key, this.#clock());
    if (lockedUntil) throw lockedOut(lockedUntil, this.#clock());
    const user = await this.#users.findByEmail(address);
    const typed = normalizePassword(password);
    const matches = user ? await verifyPassword(typed, user.passwordHash) : await verifyNoPassword(typed);
    if (user && matches) {
      await this.#throttle.clear(key);
      return user;
    }
    const now = this.#clock();
    const locked = await this.#throttle.recordFailure(key, now);
    if (locked) throw lockedOut(locked, now);
    throw new AccountError("bad-credentials", "That e-mail address and password do not match an account.");
  }

  /**
   * Makes sure the configured administrator exists, with the configured password and the admin
   * role: configuration is the truth, so changing the variable changes the password.
   */
  async ensureAdmin(email: string, password: string): Promise<User> {
    const address = email.trim();
    checkInput(address, password, { choosing: true });
    const roles: UserRole[] = ["customer", "admin"];
    const existing = await this.#users.findByEmail(address);
    if (!existing) {
      const created = await this.#users.insert({
        id: newId(),
        email: address,
        passwordHash: await hashPassword(normalizePassword(password)),
        roles,
        createdAt: this.#clock(),
      });
      // Another replica seeding at the same moment won the race; its row is as good.
      return created ?? this.ensureAdmin(email, password);
    }
    const samePassword = await verifyPassword(normalizePassword(password), existing.passwordHash);
    if (samePassword && roles.every((role) => existing.roles.includes(role))) return existing;
    const passwordHash = samePassword
      ? existing.passwordHash
      : await hashPassword(normalizePassword(password));
    await this.#users.update(existing.id, { passwordHash, roles });
    return { ...existing, passwordHash, roles };
  }

  /** Forgets failures too old to count and locks that ended. */
  pruneThrottle(): Promise<void> {
    return this.#throttle.prune(this.#clock());
  }
}

function checkInput(email: string, password: string, { choosing }: { choosing: boolean }): void {
  const emailError = emailProblem(email);
  if (emailError) throw new AccountError("invalid-input", emailError, { field: "email" });
  const passwordError = passwordProblem(password, { choosing });
  if (passwordError) throw new AccountError("invalid-input", passwordError, { field: "password" });
}

function lockedOut(until: Date, now: Date): AccountError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const minutes = Math.ceil(seconds / 60);
  return new AccountError(
    "locked",
    `Too many failed sign-ins for this e-mail address. Sign-ins for it are refused for ${minutes} more minute${minutes === 1 ? "" : "s"}.`,
    { retryAfterSeconds: seconds },
  );
}
