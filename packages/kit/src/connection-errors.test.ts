import { describe, expect, it } from "vitest";
import { isConnectionFailure } from "./connection-errors.ts";

const coded = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

describe("isConnectionFailure", () => {
  it.each([
    ["a refused connection", coded("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["a reset connection", coded("ECONNRESET", "read ECONNRESET")],
    ["a host that cannot be resolved", coded("ENOTFOUND", "getaddrinfo ENOTFOUND db")],
    ["pg's dropped connection", new Error("Connection terminated unexpectedly")],
    ["pg-pool's connect timeout", new Error("Connection terminated due to connection timeout")],
    ["a pool with no free connection in time", new Error("timeout exceeded when trying to connect")],
    ["a client broken earlier", new Error("Client has encountered a connection error and is not queryable")],
    ["SQLSTATE 08006 connection failure", coded("08006")],
    ["SQLSTATE 08P01 protocol violation", coded("08P01")],
    ["SQLSTATE 57P01 admin shutdown", coded("57P01", "terminating connection due to administrator command")],
    ["SQLSTATE 57P02 crash shutdown", coded("57P02")],
    ["SQLSTATE 57P03 the server starting up", coded("57P03", "the database system is starting up")],
    ["SQLSTATE 53300 too many connections", coded("53300", "sorry, too many clients already")],
    [
      "a failed migration caused by a dropped connection",
      new Error("migration 002_x failed", { cause: new Error("Connection terminated unexpectedly") }),
    ],
    [
      "every address of a host refusing",
      new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "connect failed"),
    ],
  ])("is true for %s", (_, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ["a unique violation", coded("23505", "duplicate key value violates unique constraint")],
    ["a missing table", coded("42P01", 'relation "missing_timeout" does not exist')],
    ["a refused login", coded("28P01", "password authentication failed for user catalog")],
    [
      "a query cancelled by its statement timeout",
      coded("57014", "canceling statement due to statement timeout"),
    ],
    ["a file that is not there", coded("ENOENT", "no such file")],
    [
      "a message that merely mentions connections",
      new Error("connection terminated by the payment processor"),
    ],
    [
      "a failed migration caused by bad SQL",
      new Error("migration 001_connect failed", { cause: coded("42601") }),
    ],
    ["a thrown string", "Connection terminated unexpectedly"],
    ["nothing", undefined],
  ])("is false for %s", (_, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });
});
