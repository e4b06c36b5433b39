import { v7 } from "uuid";

/** A new UUIDv7: time-ordered, so ids sort by creation and index well. */
export function newId(): string {
  return v7();
}

/** A UUID of any version in its canonical text form, either case. */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its canonical text form. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
