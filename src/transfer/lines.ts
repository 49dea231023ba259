import { badInput } from '../domain/errors.js';

/** Longer than any row an export writes (a role's or a change's permission list is the longest): a file without line breaks is refused, not buffered whole. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NL = 0x0a;

/**
 * The lines of a byte stream, numbered from 1, decoded as UTF-8 (a trailing "\r" dropped),
 * a chunk's worth at a time (one await per chunk, not per line), holding no more than one
 * chunk and one line. A last line without a newline is yielded too: whether the file is
 * whole is the end line's business.
 */
export async function* splitLines(input: AsyncIterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<Array<{ text: string; no: number }>> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let no = 0;
  const line = (buf: Buffer, start: number, end: number) => {
    if (end > start && buf[end - 1] === 0x0d) end -= 1;
    return buf.toString('utf8', start, end);
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const out: Array<{ text: string; no: number }> = [];
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
      no += 1;
      if (pendingBytes + nl - start > maxBytes) throw tooLong(no, maxBytes);
      if (pending.length) {
        const whole = Buffer.concat([...pending, buf.subarray(start, nl)]);
        pending = [];
        pendingBytes = 0;
        out.push({ text: line(whole, 0, whole.length), no });
      } else {
        out.push({ text: line(buf, start, nl), no });
      }
      start = nl + 1;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > maxBytes) throw tooLong(no + 1, maxBytes);
    }
    if (out.length) yield out;
  }
  if (pendingBytes > 0) {
    const whole = Buffer.concat(pending);
    yield [{ text: line(whole, 0, whole.length), no: no + 1 }];
  }
}

function tooLong(no: number, maxBytes: number) {
  return badInput(`line ${no} is longer than ${maxBytes / 1024 / 1024} MiB: this is not a grantql export (or it is damaged); nothing was imported`);
}
