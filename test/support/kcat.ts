/** Reads a topic with kcat, an independent client (librdkafka): raw keys, headers and values, as bytes. */
import { execFile } from 'node:child_process';

/** Every record of `topic` from the beginning: the whole of kcat's output, and the record count. */
export function kcatDump(brokers: readonly string[], topic: string, extra: string[] = []): Promise<{ raw: Buffer; records: number }> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-b', brokers.join(','), ...extra, '-C', '-t', topic, '-o', 'beginning', '-e', '-q',
      '-f', 'KEY=%k HEADERS=%h VALUE=%s\\n--record-end--\\n'], { encoding: 'buffer', maxBuffer: 256 << 20 },
    (err, stdout, stderr) => {
      if (err) { reject(new Error(`kcat ${topic}: ${err.message} ${stderr.toString()}`)); return; }
      resolve({ raw: stdout, records: stdout.toString('latin1').split('--record-end--').length - 1 });
    });
  });
}
