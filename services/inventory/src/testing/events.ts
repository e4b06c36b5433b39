// Test support (imported by tests only): events as the inventory's handlers receive and publish them.
export { publishedAbout, receivedEvent as received } from "@tessera/kit/testing";
