import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { createRelayTransport } from '../../../src/consumers/sender/transport.js';
import { startSmtpSink } from '../../support/smtp-sink.js';
import { startScriptedSmtp } from '../../support/scripted-smtp.js';
import { startPostfixSmtpSink } from '../../support/postfix-sink.js';
import { startSimulator } from '../../support/simulator.js';

const raw = (n: number | string) => Buffer.from(`Subject: m${n}\r\n\r\nhello ${n}\r\n`);
const relay = (port: number, o: Partial<Parameters<typeof createRelayTransport>[0]> = {}) => {
  const t = createRelayTransport({ host: '127.0.0.1', port, maxConnections: 2, maxMessages: 100, ...o });
  after(() => t.close());
  return t;
};

test('MAIL, RCPT and DATA go in one write when the server offers PIPELINING, and one session carries the next messages', async () => {
  const srv = await startScriptedSmtp();
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  for (let i = 0; i < 3; i++) assert.equal((await t.send('a@s.test', `u${i}@x.test`, raw(i))).ok, true);
  assert.equal(srv.sessions(), 1);
  const tx = srv.seen.filter((s) => /^(MAIL|RCPT|DATA)/.test(s.line));
  assert.equal(tx.length, 9);
  for (let i = 0; i < 9; i += 3) assert.equal(new Set(tx.slice(i, i + 3).map((s) => s.chunk)).size, 1, JSON.stringify(tx));
  assert.deepEqual(srv.messages, [0, 1, 2].map((i) => `Subject: m${i}\r\n\r\nhello ${i}`));
});

test('without PIPELINING the commands go one at a time, and the reply to each decides', async () => {
  const srv = await startScriptedSmtp({ extensions: ['SIZE 1000000'], answer: (l) => (/^RCPT TO:<no@/.test(l) ? '550 5.1.1 no such user' : undefined) });
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  const bad = await t.send('a@s.test', 'no@x.test', raw(1));
  assert.deepEqual([bad.ok, bad.code, bad.enhancedCode, bad.response], [false, 550, '5.1.1', '550 5.1.1 no such user']);
  assert.equal((await t.send('a@s.test', 'yes@x.test', raw(2))).ok, true);
  const cmds = srv.seen.filter((s) => !/^EHLO|^\.$/.test(s.line));
  assert.equal(new Set(cmds.map((s) => s.chunk)).size, cmds.length, 'every command in its own chunk');
  // the failed transaction is reset before the next one; SIZE is declared when offered
  assert.deepEqual(cmds.map((s) => s.line.split(' ')[0]), ['MAIL', 'RCPT', 'RSET', 'MAIL', 'RCPT', 'DATA']);
  assert.match(cmds[0]!.line, / SIZE=\d+$/);
});

test('a message survives byte for byte: dot-stuffed, bare LF sent as CRLF, and unstuffed by a real server', async () => {
  const sink = await startSmtpSink();
  after(() => sink.close());
  const t = relay(sink.port);
  const body = 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\nbare\nlf\r\n.\r\nend';
  assert.equal((await t.send('a@s.test', 'u@x.test', Buffer.from(body))).ok, true);
  assert.equal(sink.received[0]!.raw.toString(), `${body.replace(/\r?\n/g, '\r\n')}\r\n`);
});

test('messages in segments, pipelined on one session, arrive byte for byte whatever their sizes', async () => {
  const sink = await startSmtpSink();
  after(() => sink.close());
  const t = relay(sink.port, { maxConnections: 1 });
  const piece = Buffer.from(`${'x'.repeat(70)}\r\n`.repeat(1500));
  const bodies = [1, 2000, 3, 40, 2].map((n, i) => [Buffer.from(`Subject: s${i}\r\n\r\n`), piece.subarray(0, n * 72),
    Buffer.from(i === 3 ? '.dot\r\n' : `end ${i}\r\n`), piece.subarray(0, 72), Buffer.from('')]);
  const sent = await Promise.all(bodies.map((b, i) => t.send('a@s.test', `u${i}@x.test`, b)));
  assert.ok(sent.every((r) => r.ok));
  const got = new Map(sink.received.map((m) => [m.to[0], m.raw.toString()]));
  bodies.forEach((b, i) => assert.equal(got.get(`u${i}@x.test`), Buffer.concat(b).toString(), `message ${i}`));
});

test('many concurrent messages share at most maxConnections sessions, each retired after maxMessages', async () => {
  let connections = 0;
  let open = 0;
  let peak = 0;
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onConnect(_s, cb) { connections++; peak = Math.max(peak, ++open); cb(); },
    onClose() { open--; },
    onData(stream, session, cb) { stream.resume(); stream.on('end', () => { received.push(session.envelope.rcptTo[0]!.address); cb(); }); },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  const t = relay((server.server.address() as { port: number }).port, { maxConnections: 3, maxMessages: 10 });
  const out = await Promise.all(Array.from({ length: 60 }, (_, i) => t.send('a@s.test', `u${i}@x.test`, raw(i))));
  assert.equal(out.filter((o) => o.ok).length, 60);
  assert.equal(new Set(received).size, 60);
  assert.ok(peak <= 3, `peak ${peak} sessions`);
  assert.ok(connections >= 6, `${connections} sessions for 60 messages at 10 each`);
});

test('4xx and 5xx per RCPT and at the end of DATA become outcomes with their codes; the pipelined session goes on', async () => {
  const srv = await startScriptedSmtp({
    answer: (l, ctx) => {
      if (/^RCPT TO:<soft@/.test(l)) return '451 4.7.1 try later';
      if (/^RCPT TO:<hard@/.test(l)) return ['550-5.7.1 first line', '550 5.7.1 second line'];
      if (/^DATA/.test(l) && srv.seen.at(-2)?.line.includes('soft@')) return '554 5.5.1 no valid recipients';
      if (/^DATA/.test(l) && srv.seen.at(-2)?.line.includes('hard@')) return '554 5.5.1 no valid recipients';
      if (l === '.' && ctx.content?.includes('spam')) return '554 5.7.1 looks like spam';
      return undefined;
    },
  });
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  const soft = await t.send('a@s.test', 'soft@x.test', raw(1));
  assert.deepEqual([soft.ok, soft.code, soft.enhancedCode, soft.network], [false, 451, '4.7.1', false]);
  const hard = await t.send('a@s.test', 'hard@x.test', raw(2));
  assert.deepEqual([hard.code, hard.enhancedCode, hard.response], [550, '5.7.1', '550-5.7.1 first line\n550 5.7.1 second line']);
  const spam = await t.send('a@s.test', 'u@x.test', raw('spam'));
  assert.deepEqual([spam.code, spam.response], [554, '554 5.7.1 looks like spam']);
  assert.equal((await t.send('a@s.test', 'u@x.test', raw(4))).ok, true);
  assert.equal(srv.sessions(), 1, 'no rejection cost the session');
  assert.deepEqual(srv.seen.filter((s) => s.line === 'RSET').length, 2, 'RSET after each transaction that failed before its content');
  // no content was sent for a rejected recipient
  assert.equal(srv.messages.length, 2);
});

test('a connection dropped after the content, with no reply, is a network deferral; the next message opens a new session', async () => {
  const srv = await startScriptedSmtp({ answer: (l, ctx) => (l === '.' && ctx.content?.includes('drop') ? 'drop' : undefined) });
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  assert.equal((await t.send('a@s.test', 'u@x.test', raw(1))).ok, true);
  const dropped = await t.send('a@s.test', 'u@x.test', raw('drop'));
  assert.deepEqual([dropped.ok, dropped.code, dropped.network, dropped.noSession], [false, null, true, undefined]);
  assert.match(dropped.response, /closed/i);
  assert.equal((await t.send('a@s.test', 'u@x.test', raw(3))).ok, true);
  assert.equal(srv.sessions(), 2);
});

test('with messages waiting, the next envelope goes in the same write as the content; a rejected one is reset', async () => {
  const srv = await startScriptedSmtp({ answer: (l) => (/^RCPT TO:<bad@/.test(l) ? '550 5.1.1 no such user'
    : l === 'DATA' && srv.seen.at(-2)?.line.includes('bad@') ? '554 5.5.1 no valid recipients' : undefined) });
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  const out = await Promise.all(['a', 'b', 'bad', 'c', 'd'].map((u) => t.send('a@s.test', `${u}@x.test`, raw(u))));
  assert.deepEqual(out.map((o) => o.code), [250, 250, 550, 250, 250]);
  assert.equal(srv.sessions(), 1);
  const lines = srv.seen.filter((s) => !/^(EHLO|QUIT)/.test(s.line));
  // '.' of a, then MAIL/RCPT/DATA of b in the same chunk
  const dotA = lines.findIndex((s) => s.line === '.');
  assert.deepEqual(lines.slice(dotA, dotA + 4).map((s) => s.line.split(/[ :]/)[0]), ['.', 'MAIL', 'RCPT', 'DATA']);
  assert.equal(new Set(lines.slice(dotA, dotA + 4).map((s) => s.chunk)).size, 1, JSON.stringify(lines));
  // after the rejected recipient, the next transaction starts with RSET
  const bad = lines.findIndex((s) => s.line.includes('bad@'));
  assert.deepEqual(lines.slice(bad + 2, bad + 4).map((s) => s.line.split(/[ :]/)[0]), ['RSET', 'MAIL']);
  assert.deepEqual(srv.messages.map((m) => m.split('\r\n')[0]), ['Subject: ma', 'Subject: mb', 'Subject: mc', 'Subject: md']);
});

test('when the connection drops after a content with the next envelope already sent, that next message gets a new session', async () => {
  const srv = await startScriptedSmtp({ answer: (l, ctx) => (l === '.' && ctx.content?.includes('drop') ? 'drop' : undefined) });
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  const [first, second] = await Promise.all([t.send('a@s.test', 'u@x.test', raw('drop')), t.send('a@s.test', 'v@x.test', raw(2))]);
  assert.deepEqual([first.ok, first.network], [false, true]);
  assert.equal(second.ok, true, second.response);
  assert.equal(srv.sessions(), 2);
});

test('a session the server closed while it sat idle is replaced, and the message is not failed for it', async () => {
  const srv = await startScriptedSmtp();
  after(() => srv.close());
  const t = relay(srv.port, { maxConnections: 1 });
  assert.equal((await t.send('a@s.test', 'u@x.test', raw(1))).ok, true);
  srv.dropAll();
  const next = await t.send('a@s.test', 'u@x.test', raw(2));
  assert.equal(next.ok, true, next.response);
  assert.equal(srv.messages.length, 2);
});

test('Postfix smtp-sink: pipelined delivery, 4xx and 5xx to RCPT (lock-step), and a 421 with a hang-up after RCPT', async () => {
  const ok = await startPostfixSmtpSink();
  const soft = await startPostfixSmtpSink(['-r', 'rcpt']);
  const hard = await startPostfixSmtpSink(['-f', 'rcpt', '-B', '550 5.1.1 unknown user']);
  const bye = await startPostfixSmtpSink(['-Q', 'rcpt']);
  const dropDot = await startPostfixSmtpSink(['-q', '.']);
  after(() => { for (const s of [ok, soft, hard, bye, dropDot]) s.close(); });
  const pool = relay(ok.port, { maxConnections: 4 });
  const sent = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.send('a@s.test', `u${i}@x.test`, raw(i))));
  assert.equal(sent.filter((o) => o.ok).length, 200, JSON.stringify(sent.find((o) => !o.ok)));
  assert.equal(sent[0]!.code, 250);
  const s = await relay(soft.port).send('a@s.test', 'u@x.test', raw(1));
  assert.deepEqual([s.code, s.enhancedCode], [450, '4.3.0']);
  const h = await relay(hard.port).send('a@s.test', 'u@x.test', raw(1));
  assert.deepEqual([h.code, h.enhancedCode], [550, '5.1.1']);
  // pipelined: the 421 to RCPT decides, though DATA never got a reply
  const b = await relay(bye.port).send('a@s.test', 'u@x.test', raw(1));
  assert.deepEqual([b.code, b.network, b.noSession], [421, false, undefined]);
  const d = await relay(dropDot.port).send('a@s.test', 'u@x.test', raw(1));
  assert.deepEqual([d.code, d.network], [null, true]);
});

test('STARTTLS is used when offered (tls in the outcome); requireTLS against a server without it sends nothing', async () => {
  const tls = await startSimulator({ tls: true });
  const clear = await startSimulator({ tls: false });
  after(async () => { await tls.close(); await clear.close(); });
  const viaTls = await relay(tls.port).send('a@s.test', 'u@x.test', raw(1));
  assert.deepEqual([viaTls.ok, viaTls.tls], [true, true]);
  const refused = await relay(clear.port, { requireTLS: true }).send('a@s.test', 'u@clear.test', raw(2));
  assert.equal(refused.ok, false);
  assert.match(refused.reason ?? '', /^MS_ERR_TLS_REQUIRED/);
  assert.equal(clear.received.length, 0);
});

test('AUTH PLAIN with the relay credentials; a refused login is the server\'s reply', async () => {
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'], allowInsecureAuth: true, logger: false, authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _s, cb) { cb(auth.username === 'u' && auth.password === 'p' ? null : new Error('bad login'), { user: auth.username }); },
    onData(stream, _s, cb) { stream.resume(); stream.on('end', () => cb()); },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.server.address() as { port: number }).port;
  assert.equal((await relay(port, { user: 'u', pass: 'p' }).send('a@s.test', 'x@x.test', raw(1))).ok, true);
  const bad = await relay(port, { user: 'u', pass: 'wrong' }).send('a@s.test', 'x@x.test', raw(1));
  assert.deepEqual([bad.ok, bad.code], [false, 535]);
});
