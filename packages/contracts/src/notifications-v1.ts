// The tessera.notifications.v1 contracts: re-exports of the generated code (never edit src/gen by hand).
export * from "./gen/tessera/notifications/v1/notifications_pb.ts";
