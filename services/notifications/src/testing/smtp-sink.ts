// A real SMTP server for the tests (the smtp-server package), recording every message it accepts.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** SMTP envelope. */
  mailFrom: string;
  rcptTo: string[];
  /** Headers, unfolded; names lower-cased. */
  headers: Map<string, string>;
  subject: string;
  /** The decoded text body, with "\n" line ends. */
  text: string;
}

/** An SMTP server on 127.0.0.1 that can be stopped and started again on the same port. */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  #server: SMTPServer | undefined;
  #port = 0;

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await sink.listen();
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  /** Starts listening: on a free port the first time, on the same port afterwards. */
  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback: no STARTTLS offer with a self-signed certificate for the client to refuse.
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const envelope = session.envelope;
          this.received.push({
            mailFrom: envelope.mailFrom ? envelope.mailFrom.address : "",
            rcptTo: envelope.rcptTo.map((recipient) => recipient.address),
            ...parseMessage(Buffer.concat(chunks).toString("utf8")),
          });
          callback();
        });
      },
    });
    const listening = server.listen(this.#port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      listening.once("listening", resolve);
      listening.once("error", reject);
    });
    this.#port = (listening.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening; connection attempts are refused until `listen()` again. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function parseMessage(raw: string): Pick<ReceivedMail, "headers" | "subject" | "text"> {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 4);
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  const decoded =
    encoding === "quoted-printable"
      ? decodeQuotedPrintable(body)
      : encoding === "base64"
        ? Buffer.from(body, "base64").toString("utf8")
        : body;
  return {
    headers,
    subject: headers.get("subject") ?? "",
    text: decoded.replace(/\r\n/g, "\n").replace(/\n$/, ""),
  };
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r\n/g, "")
    .split(/(=[0-9A-F]{2})/i)
    .flatMap((part) =>
      /^=[0-9A-F]{2}$/i.test(part) ? [Buffer.from([parseInt(part.slice(1), 16)])] : [Buffer.from(part)],
    );
  return Buffer.concat(bytes).toString("utf8");
}
