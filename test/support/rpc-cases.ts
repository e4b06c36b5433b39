import {
  create,
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type DescMethod,
} from "@bufbuild/protobuf";
import { encodableStandIn, looseBytes, patchBytes, type HostileString } from "./hostile-strings.ts";

/** One request to send to one RPC method: its bytes, and what the server must answer. */
export interface RpcCase {
  label: string;
  bytes: Buffer;
  /** Where the hostile string sits, as the server names it (`items[0].sku`, `attributes key`). */
  field?: string;
  hostile?: HostileString;
}

type Init = Record<string, unknown>;

/** A position in a message that holds a string, and how to put one there. */
interface Slot {
  path: string;
  /** The message init (protobuf-es `create` shape) with `text` at this position. */
  init(text: string): Init;
}

const maxDepth = 4;

/**
 * Every place a string can go in `schema` — fields, list elements, map keys and values, oneof
 * members, in nested messages too — named as the RPC server names them in its errors.
 */
export function stringSlots(schema: DescMessage, depth = 0): Slot[] {
  if (depth > maxDepth) return [];
  const slots: Slot[] = [];
  for (const member of schema.members) {
    if (member.kind === "oneof") {
      for (const field of member.fields) {
        for (const slot of valueSlots(field, depth))
          slots.push({
            path: slot.path,
            init: (text) => ({
              [member.localName]: { case: field.localName, value: slot.init(text)[field.localName] },
            }),
          });
      }
      continue;
    }
    slots.push(...valueSlots(member, depth));
  }
  return slots;
}

function valueSlots(field: DescField, depth: number): Slot[] {
  const name = field.name;
  const local = field.localName;
  const inner = (prefix: string, wrap: (init: Init) => unknown, message: DescMessage): Slot[] =>
    stringSlots(message, depth + 1).map((slot) => ({
      path: `${prefix}.${slot.path}`,
      init: (text) => ({ [local]: wrap(slot.init(text)) }),
    }));
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING ? [{ path: name, init: (text) => ({ [local]: text }) }] : [];
    case "message":
      return inner(name, (init) => init, field.message);
    case "list":
      if (field.listKind === "message") return inner(`${name}[0]`, (init) => [init], field.message);
      return field.scalar === ScalarType.STRING
        ? [{ path: `${name}[0]`, init: (text) => ({ [local]: [text] }) }]
        : [];
    case "map": {
      const slots: Slot[] = [];
      const zero =
        field.mapKind === "message"
          ? {}
          : field.mapKind === "scalar" && field.scalar === ScalarType.STRING
            ? ""
            : undefined;
      if (field.mapKey === ScalarType.STRING && zero !== undefined)
        slots.push({ path: `${name} key`, init: (text) => ({ [local]: { [text]: zero } }) });
      if (field.mapKind === "message")
        slots.push(...inner(`${name}["k"]`, (init) => ({ k: init }), field.message));
      else if (field.scalar === ScalarType.STRING)
        slots.push({ path: `${name}["k"]`, init: (text) => ({ [local]: { k: text } }) });
      return slots;
    }
    case "enum":
      return [];
  }
}

const someId = "0197a000-0000-7000-8000-00000000c0de";
const int64Types = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

/**
 * Plausible values for the top-level fields, so that a request gets past its first check and the
 * hostile string in another field reaches deeper: ids, a user, a quantity, an amount of money.
 */
export function baseline(schema: DescMessage): Init {
  const init: Init = {};
  for (const field of schema.fields) {
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING) {
      if (field.name === "user_id") init[field.localName] = "corpus-user";
      else if (field.name === "id" || field.name.endsWith("_id")) init[field.localName] = someId;
      else if (field.name === "idempotency_key") init[field.localName] = "corpus-key";
      else if (field.name === "sku") init[field.localName] = "CORPUS-SKU";
    } else if (field.fieldKind === "scalar" && ["quantity", "count", "page_size"].includes(field.name)) {
      init[field.localName] = int64Types.has(field.scalar) ? 1n : 1;
    } else if (field.fieldKind === "message" && field.message.typeName === "tessera.common.v1.Money") {
      init[field.localName] = { currencyCode: "USD", amountMinor: 100n };
    }
  }
  return init;
}

/** Every hostile string in every string slot of the method's request, and bytes that are no request. */
export function rpcCases(method: DescMethod, corpus: readonly HostileString[]): RpcCase[] {
  const schema = method.input;
  const cases: RpcCase[] = [];
  for (const slot of stringSlots(schema)) {
    for (const hostile of corpus) {
      const standIn = encodableStandIn(hostile);
      const message = create(schema, { ...baseline(schema), ...slot.init(standIn) });
      const bytes = patchBytes(toBinary(schema, message), Buffer.from(standIn, "utf8"), looseBytes(hostile));
      cases.push({ label: `${slot.path}: ${hostile.name}`, bytes, field: slot.path, hostile });
    }
  }
  // A tag whose varint never ends, and a length that runs past the end of the message.
  cases.push({ label: "bytes that are no protobuf", bytes: Buffer.from([0xff, 0xff, 0xff, 0xff]) });
  cases.push({ label: "a truncated field", bytes: Buffer.from([0x0a, 0x7f, 0x61]) });
  return cases;
}
