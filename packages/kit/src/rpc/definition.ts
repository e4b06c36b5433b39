import {
  create,
  fromBinary,
  toBinary,
  type DescFile,
  type DescMethod,
  type DescService,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The method table of a generated service: `MethodsOf<typeof CatalogService>`. */
export type MethodsOf<S> = S extends GenService<infer M> ? M : never;

export type AnyService = GenService<GenServiceMethods>;

/**
 * The grpc-js definition of a protobuf-es service: paths `/<package.Service>/<Method>`, binary
 * (de)serialization by the generated schemas. Keys are the methods' local names (`getProduct`).
 */
export function grpcDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = methodDefinition(service, method);
  }
  return definition;
}

function methodDefinition(service: DescService, method: DescMethod): MethodDefinition<unknown, unknown> {
  const { input, output } = method;
  return {
    path: `/${service.typeName}/${method.name}`,
    originalName: method.localName,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (message) => Buffer.from(toBinary(input, create(input, message as never))),
    requestDeserialize: (bytes: Buffer) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, create(output, message as never))),
    responseDeserialize: (bytes: Buffer) => fromBinary(output, bytes),
  };
}

/**
 * The serialized FileDescriptorProtos of the services' files and everything they import — what
 * server reflection hands to grpcurl or a client in another language.
 */
export function fileDescriptorProtos(services: readonly DescService[]): Buffer[] {
  const seen = new Map<string, Buffer>();
  const visit = (file: DescFile) => {
    if (seen.has(file.name)) return;
    for (const dependency of file.dependencies) visit(dependency);
    seen.set(file.name, Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  };
  for (const service of services) visit(service.file);
  return [...seen.values()];
}
