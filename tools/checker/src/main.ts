// `npm run check:consistency`: reads every service through its admin RPCs and checks the invariants.
import { address, loadConfig, z } from "@tessera/kit";
import { checkConsistency } from "./check.ts";

const config = loadConfig(
  z.object({
    ORDERS_ADDR: address("127.0.0.1:50054"),
    INVENTORY_ADDR: address("127.0.0.1:50053"),
    PAYMENTS_ADDR: address("127.0.0.1:50055"),
    ORDERS_STEP_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  }),
);
const report = await checkConsistency(
  { orders: config.ORDERS_ADDR, inventory: config.INVENTORY_ADDR, payments: config.PAYMENTS_ADDR },
  { stepTimeoutMs: config.ORDERS_STEP_TIMEOUT_MS },
);
process.stdout.write(report.text + "\n");
process.exit(report.violations.length === 0 ? 0 : 1);
