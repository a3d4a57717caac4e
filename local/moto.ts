import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

/** A moto_server process owned by this process, on a free loopback port. */
export interface MotoServer {
  readonly endpoint: string;
  readonly pid: number;
  /** Whether DynamoDB requests are handled one at a time (see local/moto_server.py). */
  readonly serializedDynamoDb: boolean;
  /** Clears every service's state (milliseconds). */
  reset(): Promise<void>;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** Raised when moto_server is not installed; says what to do. */
export class MotoMissing extends Error {
  override name = "MotoMissing";
}

let pythonProbe: { python: string | undefined } | undefined;
/** The Python that has moto installed (MOTO_PYTHON, else python3), or undefined. Probed once per process. */
export function motoPython(): string | undefined {
  if (!pythonProbe) {
    const python = process.env.MOTO_PYTHON ?? "python3";
    const ok = spawnSync(python, ["-c", "import moto.server, werkzeug"], { stdio: "ignore" }).status === 0;
    pythonProbe = { python: ok ? python : undefined };
  }
  return pythonProbe.python;
}

/** Is moto_server on PATH? */
export function motoAvailable(): boolean {
  return spawnSync("moto_server", ["--help"], { stdio: "ignore" }).status === 0;
}

/** The command that runs moto: our launcher (DynamoDB serialized) when moto's Python is found, else plain moto_server. */
function motoCommand(host: string, port: number): { cmd: string; args: string[]; serializedDynamoDb: boolean } | undefined {
  const python = motoPython();
  if (python) return { cmd: python, args: [path.join(__dirname, "moto_server.py"), host, String(port)], serializedDynamoDb: true };
  // Only the launcher keeps a call log: a plain moto_server would let the calls it serves go unchecked.
  if (process.env.MOTO_CALL_LOG_DIR)
    throw new MotoMissing(
      "MOTO_CALL_LOG_DIR is set (the tests' IAM check) but moto's Python was not found to run the launcher (set MOTO_PYTHON)",
    );
  if (motoAvailable()) return { cmd: "moto_server", args: ["-H", host, "-p", String(port)], serializedDynamoDb: false };
  return undefined;
}

/** Asks the kernel for a free loopback port. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
}

/**
 * Starts moto_server on a free loopback port and waits until it answers. The child dies with
 * this process (it is killed on exit), so nothing is left running.
 */
export async function startMoto(opts: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<MotoServer> {
  if (!motoCommand("127.0.0.1", 0)) {
    throw new MotoMissing(
      "moto_server was not found on PATH. Install it with `pip install 'moto[server]'` " +
        "(Python 3.9+), or set AWS_ENDPOINT_URL to a running moto or LocalStack endpoint.",
    );
  }
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const command = motoCommand("127.0.0.1", port)!;
    const child = spawn(command.cmd, command.args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
    });
    const forward = (b: Buffer) => opts.log?.(b.toString().trimEnd());
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
    const endpoint = `http://127.0.0.1:${port}`;
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    try {
      await waitUntilUp(endpoint, child, opts.timeoutMs ?? 15000);
    } catch (e) {
      child.kill("SIGKILL");
      process.removeListener("exit", killOnExit);
      if (tries < 2) continue; // the port may have been taken between probe and bind
      throw e;
    }
    return {
      endpoint,
      pid: child.pid!,
      serializedDynamoDb: command.serializedDynamoDb,
      async reset() {
        const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
        if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
      },
      stop() {
        process.removeListener("exit", killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const t = setTimeout(() => child.kill("SIGKILL"), 3000);
          child.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          child.kill("SIGTERM");
        });
      },
    };
  }
}

/** The emails moto's SES has accepted, read from its internal state. */
export interface MotoSentEmail {
  readonly id: string;
  readonly source: string;
  readonly destinations: { ToAddresses?: string[] };
  readonly subject: string;
  readonly body: string;
}

/** Reads the emails moto's SES has stored (`/moto-api/data.json`). */
export async function motoSentEmails(endpoint: string): Promise<MotoSentEmail[]> {
  const r = await fetch(`${endpoint}/moto-api/data.json`);
  const data = (await r.json()) as { ses?: { Message?: Array<Record<string, unknown>> } };
  return (data.ses?.Message ?? []).map((m) => ({
    id: String(m.id),
    source: String(m.source),
    destinations: (m.destinations ?? {}) as { ToAddresses?: string[] },
    subject: String(m.subject),
    body: String(m.body),
  }));
}
