/**
 * A node:test reporter that prints how long each test file took as it ends, then the slowest ten, so a slow or stuck
 * CI run shows where its time went (the TAP reporter gives per-test durations only).
 */
import { relative, resolve } from 'node:path';

interface TestEvent { type: string; data?: { file?: string; name?: string } }

export default async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const started = new Map<string, number>();
  const times: Array<[string, number]> = [];
  for await (const e of source) {
    const file = e.data?.file;
    // the runner reports each file as a test named by its path as given: dequeued as its process starts, then complete
    if (!file || !e.data?.name || resolve(e.data.name) !== file) continue;
    if (e.type === 'test:dequeue') started.set(file, Date.now());
    if (e.type !== 'test:complete' || !started.has(file)) continue;
    const [name, s] = [relative(process.cwd(), file), (Date.now() - started.get(file)!) / 1000];
    times.push([name, s]);
    yield `# file ${name}: ${s.toFixed(1)} s\n`;
  }
  const top = times.sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (top.length) yield `# slowest files: ${top.map(([f, s]) => `${f} ${s.toFixed(0)} s`).join(', ')}\n`;
}
