import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as it arrived, whichever encoding carried it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, unknown>;
}

export interface ReceivedExport {
  path: string;
  contentType: string;
  spans: ReceivedSpan[];
}

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 (what a collector does, minus forwarding):
 * records every export it is sent, decoded from JSON or protobuf, and answers 200.
 */
export async function otlpReceiver(): Promise<{ url: string; exports: ReceivedExport[]; spans(): ReceivedSpan[]; waitFor(pred: (spans: ReceivedSpan[]) => boolean, ms?: number): Promise<ReceivedSpan[]>; close(): Promise<void> }> {
  const exports: ReceivedExport[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      const spans = contentType.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body);
      exports.push({ path: req.url ?? '', contentType, spans });
      // An empty ExportTraceServiceResponse in either encoding.
      res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
      res.end(contentType.includes('json') ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const spans = () => exports.flatMap((e) => e.spans);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans,
    async waitFor(pred, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!pred(spans())) {
        if (Date.now() > deadline) throw new Error(`the spans awaited did not arrive; got: ${spans().map((s) => s.name).join(', ') || 'none'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return spans();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// --- OTLP/JSON (ids are hex, int64 may be strings) ---

type JsonAny = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: JsonAny[] } };
const jsonValue = (v: JsonAny): unknown =>
  v.stringValue ?? v.boolValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? (v.arrayValue ? (v.arrayValue.values ?? []).map(jsonValue) : undefined);
const jsonAttrs = (list: Array<{ key: string; value: JsonAny }> = []) => Object.fromEntries(list.map((a) => [a.key, jsonValue(a.value)]));

function fromJson(body: any): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs: any) => {
    const resource = jsonAttrs(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss: any) =>
      (ss.spans ?? []).map((s: any) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        attributes: jsonAttrs(s.attributes),
        statusCode: s.status?.code ?? 0,
        resource,
      })),
    );
  });
}

// --- OTLP/protobuf: just enough of the wire format for ExportTraceServiceRequest ---

type Field = { no: number; varint?: bigint; bytes?: Buffer };

/** The fields of one message, in order (varints and length-delimited; fixed widths are kept as bytes). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) (out.push({ no, bytes: buf.subarray(i, i + 8) }), (i += 8));
    else if (wire === 5) (out.push({ no, bytes: buf.subarray(i, i + 4) }), (i += 4));
    else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return out;
}

const all = (f: Field[], no: number) => f.filter((x) => x.no === no);
const one = (f: Field[], no: number) => f.find((x) => x.no === no);

/** AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array. */
function pbValue(buf: Buffer): unknown {
  const f = fields(buf);
  const v = f[0];
  if (!v) return undefined;
  if (v.no === 1) return v.bytes!.toString('utf8');
  if (v.no === 2) return v.varint === 1n;
  if (v.no === 3) return Number(BigInt.asIntN(64, v.varint!));
  if (v.no === 4) return v.bytes!.readDoubleLE(0);
  if (v.no === 5) return all(fields(v.bytes!), 1).map((x) => pbValue(x.bytes!));
  return undefined;
}

/** KeyValue: 1 key, 2 value. */
const pbAttrs = (list: Field[]) =>
  Object.fromEntries(
    list.map((a) => {
      const kv = fields(a.bytes!);
      return [one(kv, 1)!.bytes!.toString('utf8'), pbValue(one(kv, 2)?.bytes ?? Buffer.alloc(0))];
    }),
  );

/** ExportTraceServiceRequest 1 → ResourceSpans (1 resource, 2 scope_spans) → ScopeSpans (2 spans) → Span. */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  return all(fields(body), 1).flatMap((rsField) => {
    const rs = fields(rsField.bytes!);
    const resource = pbAttrs(all(fields(one(rs, 1)?.bytes ?? Buffer.alloc(0)), 1));
    return all(rs, 2).flatMap((ssField) =>
      all(fields(ssField.bytes!), 2).map((spanField) => {
        // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 15 status (3 code).
        const s = fields(spanField.bytes!);
        const status = one(s, 15)?.bytes;
        return {
          traceId: one(s, 1)!.bytes!.toString('hex'),
          spanId: one(s, 2)!.bytes!.toString('hex'),
          parentSpanId: one(s, 4)?.bytes?.toString('hex') ?? '',
          name: one(s, 5)!.bytes!.toString('utf8'),
          kind: Number(one(s, 6)?.varint ?? 0n),
          attributes: pbAttrs(all(s, 9)),
          statusCode: status ? Number(one(fields(status), 3)?.varint ?? 0n) : 0,
          resource,
        };
      }),
    );
  });
}
