import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/** One span as an OTLP/HTTP export carried it, with the resource's service name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: string;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>/v1/traces`: what `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` should be. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Requests that were not OTLP protobuf or did not decode; a test expects none. */
  rejected: string[];
  close(): Promise<void>;
}

const protos = fileURLToPath(new URL("./otlp-protos/", import.meta.url));

/**
 * An OTLP/HTTP traces receiver (protobuf encoding, as the services export), decoding with
 * protobufjs from the vendored opentelemetry-proto files: what a collector would see.
 *
 * @example
 *   const receiver = await startOtlpReceiver();
 *   env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = receiver.endpoint;
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith(protos) ? target : protos + target);
  await root.load("opentelemetry/proto/collector/trace/v1/trace_service.proto", { keepCase: false });
  const request = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");
  const response = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse");
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url !== "/v1/traces" || req.headers["content-type"] !== "application/x-protobuf") {
        rejected.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
        res.writeHead(415).end();
        return;
      }
      try {
        spans.push(...decode(request, Buffer.concat(chunks)));
      } catch (error) {
        rejected.push(`undecodable: ${(error as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end(response.encode(response.create({})).finish());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    rejected,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Decoded {
  resourceSpans: {
    resource?: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: {
      spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: string }[];
    }[];
  }[];
}

function decode(type: protobuf.Type, body: Buffer): ReceivedSpan[] {
  const message = type.toObject(type.decode(body), {
    bytes: String,
    enums: String,
    defaults: true,
    longs: String,
  });
  const hex = (base64: string | undefined) => Buffer.from(base64 ?? "", "base64").toString("hex");
  return (message as Decoded).resourceSpans.flatMap((resourceSpans) => {
    const service =
      resourceSpans.resource?.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
    return resourceSpans.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        service,
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        name: span.name,
        kind: span.kind,
      })),
    );
  });
}
