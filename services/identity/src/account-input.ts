import { describeRefusedCharacter, findRefusedText } from "@tessera/kit";

/** RFC 5321's limit on a forward path, which is as long as an e-mail address can usefully be. */
export const EMAIL_MAX_LENGTH = 254;
/**
 * A password is the only factor, so it must be long (NIST SP 800-63B asks for 15 then; 12 keeps a
 * demo shop usable). The upper bound only caps the work one request can ask of the hash.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

// Deliberately loose: one @, something on either side, a dot in the domain, no spaces. Whether
// the address receives mail is for a confirmation e-mail to find out, not a regular expression.
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;

/** What is wrong with an e-mail address as typed, in words for the person who typed it. */
export function emailProblem(email: string): string | undefined {
  if (email === "") return "Enter your e-mail address.";
  if (email.length > EMAIL_MAX_LENGTH) return `An e-mail address has at most ${EMAIL_MAX_LENGTH} characters.`;
  const refused = findRefusedText(email);
  if (refused)
    return `The e-mail address ${describeRefusedCharacter(refused.character)}, which is not allowed.`;
  if (!EMAIL_SHAPE.test(email)) return "Enter an e-mail address like name@example.com.";
  return undefined;
}

/**
 * What is wrong with a password. `choosing` (registration, the configured admin password) also
 * holds it to the minimum length; signing in does not, so an old short password still just fails.
 */
export function passwordProblem(password: string, { choosing }: { choosing: boolean }): string | undefined {
  if (password === "") return choosing ? "Choose a password." : "Enter your password.";
  if (password.length > PASSWORD_MAX_LENGTH)
    return `A password has at most ${PASSWORD_MAX_LENGTH} characters.`;
  const refused = findRefusedText(password);
  if (refused) return `The password ${describeRefusedCharacter(refused.character)}, which is not allowed.`;
  if (choosing && password.length < PASSWORD_MIN_LENGTH) {
    return `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`;
  }
  return undefined;
}

/** The key an e-mail address is unique and throttled by: the same address in any case is one. */
export const emailKey = (email: string): string => email.toLowerCase();

/** How a password is compared: the same text typed on another keyboard or OS must match. */
export const normalizePassword = (password: string): string => password.normalize("NFC");
