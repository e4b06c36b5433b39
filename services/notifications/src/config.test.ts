import { ConfigError, loadConfig } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { NotificationsConfig } from "./config.ts";

const required = { DATABASE_URL: "postgres://localhost/notifications" };

describe("NotificationsConfig", () => {
  it("defaults to port 50056, orders on 50054, no SMTP and example.test addresses", () => {
    const config = loadConfig(NotificationsConfig, required);
    expect(config.SMTP_URL).toBeUndefined();
    expect(config).toMatchObject({
      GRPC_PORT: 50056,
      ORDERS_ADDR: "127.0.0.1:50054",
      NOTIFICATIONS_EMAIL_DOMAIN: "example.test",
      NOTIFICATIONS_FROM: "Tessera <orders@tessera.local>",
      NOTIFICATIONS_MAIL_INTERVAL_MS: 1_000,
    });
  });

  it.each([
    ["SMTP_URL", "http://mail:25"],
    ["NOTIFICATIONS_EMAIL_DOMAIN", "not a domain"],
    ["NOTIFICATIONS_MAIL_INTERVAL_MS", "0"],
    ["ORDERS_ADDR", "orders"],
  ])("names %s when it is %j", (variable, value) => {
    expect(() => loadConfig(NotificationsConfig, { ...required, [variable]: value })).toThrowError(
      expect.objectContaining({ constructor: ConfigError, variables: [variable] }),
    );
  });
});
