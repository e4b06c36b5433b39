import { describe, expect, it } from "vitest";
import { declineReasonOf, declineReasons } from "./reasons.ts";

describe("decline reasons", () => {
  it("turns each processor decline code payments stores into a stable code with a sentence", () => {
    expect(declineReasonOf("insufficient_funds")).toEqual({
      code: "insufficient-funds",
      message: "the card has insufficient funds",
    });
    expect(declineReasonOf("processor_timeout").code).toBe("payment-timeout");
    expect(declineReasonOf("processor_rejected").code).toBe("card-declined");
  });

  it("calls a decline code it does not know card-declined", () => {
    expect(declineReasonOf("a_new_code")).toEqual({
      code: "card-declined",
      message: declineReasons["card-declined"],
    });
  });
});
