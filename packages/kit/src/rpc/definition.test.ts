import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
  type EchoRequest,
  type EchoResponse,
} from "@tessera/contracts/testing/v1";
import { describe, expect, it } from "vitest";
import { fileDescriptorProtos, grpcDefinition } from "./definition.ts";

const fileNames = (buffers: Buffer[]) =>
  buffers.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);

describe("grpcDefinition", () => {
  const definition = grpcDefinition(EchoService);

  it("keys methods by local name with /package.Service/Method paths", () => {
    expect(Object.keys(definition)).toEqual(["echo", "echoOnce", "echoStream"]);
    expect(definition["echo"]?.path).toBe("/tessera.testing.v1.EchoService/Echo");
    expect(definition["echoOnce"]?.path).toBe("/tessera.testing.v1.EchoService/EchoOnce");
    expect(definition["echoStream"]?.path).toBe("/tessera.testing.v1.EchoService/EchoStream");
    expect(definition["echo"]?.originalName).toBe("echo");
  });

  it("marks only server streaming responses as streams", () => {
    expect(definition["echo"]).toMatchObject({ requestStream: false, responseStream: false });
    expect(definition["echoStream"]).toMatchObject({ requestStream: false, responseStream: true });
  });

  it("serializes plain init objects to protobuf binary the generated schema reads", () => {
    const method = definition["echo"]!;
    const bytes = method.requestSerialize({ message: "hi", delayMs: 5 });
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const decoded = fromBinary(EchoRequestSchema, bytes);
    expect(decoded).toMatchObject({ message: "hi", delayMs: 5, failWith: "" });
  });

  it("round-trips requests and responses, int64 as bigint", () => {
    const method = definition["echo"]!;
    const request = method.requestDeserialize(
      method.requestSerialize(create(EchoRequestSchema, { message: "ping", failWith: "unavailable" })),
    ) as EchoRequest;
    expect(request).toMatchObject({ message: "ping", failWith: "unavailable" });
    const bytes = Buffer.from(toBinary(EchoResponseSchema, create(EchoResponseSchema, { deadlineMs: 123n })));
    const response = method.responseDeserialize(bytes) as EchoResponse;
    expect(response.deadlineMs).toBe(123n);
    expect(
      fromBinary(EchoResponseSchema, method.responseSerialize({ message: "pong", requestId: "r1" })),
    ).toMatchObject({ message: "pong", requestId: "r1" });
  });
});

describe("fileDescriptorProtos", () => {
  it("returns the service's file", () => {
    expect(fileNames(fileDescriptorProtos([EchoService]))).toEqual(["tessera/testing/v1/echo.proto"]);
  });

  it("puts every imported file before the file importing it", () => {
    const names = fileNames(fileDescriptorProtos([CatalogService]));
    expect(names).toContain("google/protobuf/timestamp.proto");
    expect(names).toContain("tessera/common/v1/money.proto");
    expect(names.at(-1)).toBe("tessera/catalog/v1/catalog.proto");
  });

  it("includes each file once for several services", () => {
    const names = fileNames(fileDescriptorProtos([EchoService, CatalogService, EchoService]));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("tessera/testing/v1/echo.proto");
    expect(names).toContain("tessera/catalog/v1/catalog.proto");
  });

  it("keeps the service definitions in the descriptors", () => {
    const [echo] = fileDescriptorProtos([EchoService]);
    const file = fromBinary(FileDescriptorProtoSchema, echo!);
    expect(file.package).toBe("tessera.testing.v1");
    expect(file.service[0]?.method.map((method) => method.name)).toEqual(["Echo", "EchoOnce", "EchoStream"]);
  });
});
