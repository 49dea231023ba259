import { pino } from 'pino';

/**
 * Log lines go to stdout without ever waiting for its reader. stdout on a pipe or a
 * socket is asynchronous in Node: what the reader has not taken yet waits in the
 * stream's buffer. Past `MAX_BUFFERED_BYTES` a line is dropped and counted instead
 * (`grantql_log_lines_dropped_total` in /metrics), and once the reader catches up a
 * line says how many were lost. A collector that stalls therefore costs at most that
 * buffer, never the event loop, and never holds up an exit (see `flushLogs`).
 * (pino's default destination writes with fs.writeSync, which on a full non-blocking
 * pipe retries for ever: requests queued log lines without bound and exit hung.)
 * A regular file is written synchronously by Node; a terminal is blocking on POSIX.
 */
export const MAX_BUFFERED_BYTES = 1 << 20;

type Out = Pick<NodeJS.WriteStream, 'write' | 'writableLength' | 'once' | 'on' | 'off'>;

export class BoundedSink {
  dropped = 0;
  private unreported = 0;
  private broken = false;

  constructor(
    private readonly out: Out,
    private readonly maxBytes = MAX_BUFFERED_BYTES,
  ) {
    // EPIPE (the reader went away) and the like: from then on lines are dropped.
    out.on('error', () => (this.broken = true));
  }

  private fits(bytes: number): boolean {
    return !this.broken && this.out.writableLength + bytes <= this.maxBytes;
  }

  write(line: string): void {
    if (this.unreported > 0) {
      const notice = `${JSON.stringify({ level: 40, time: Date.now(), msg: 'log lines dropped: the log reader was not keeping up', dropped: this.unreported })}\n`;
      if (this.fits(notice.length + line.length)) {
        this.unreported = 0;
        this.out.write(notice);
      }
    }
    if (!this.fits(line.length)) {
      this.dropped++;
      this.unreported++;
      return;
    }
    this.out.write(line);
  }

  /** Resolves once everything buffered is written, or after `timeoutMs` whatever the reader does. */
  flush(timeoutMs: number): Promise<void> {
    if (this.broken || this.out.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.out.off('drain', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.out.once('drain', done);
    });
  }
}

const sink = new BoundedSink(process.stdout);

/** Log lines dropped because stdout's reader was not keeping up (since start). */
export const logLinesDropped = (): number => sink.dropped;

/** Waits for stdout's buffered log lines, at most `timeoutMs`. */
export const flushLogs = (timeoutMs: number): Promise<void> => sink.flush(timeoutMs);

/** Structured JSON logs; secrets (authorization headers, keys) are redacted. */
export const logger = pino(
  {
    level: process.env.GRANTQL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'secret', 'token', '*.secret', '*.ownerKey'],
      censor: '[redacted]',
    },
  },
  sink,
);

/**
 * Per HTTP request: its id (from X-Request-Id or new) and organization, for the request's
 * log line and the response header. Kept by the Request object every yoga hook is given,
 * not in an AsyncLocalStorage: on Node 20 one enterWith turns on async hooks for every
 * promise the process makes, and a subscription's every event makes dozens (about a tenth
 * of the fan-out's CPU, and garbage to collect).
 */
export const requestInfo = new WeakMap<object, { requestId: string; orgId?: string }>();
