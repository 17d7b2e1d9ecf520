import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBounce, parseSmtpReply, dnsReply } from '../../../src/delivery/bounce.js';

const cases: Array<[string, number, string]> = [
  // Gmail
  ['550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient\'s email address for typos or\r\n550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser', 10, 'hard'],
  ['421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating\r\n421-4.7.28 from your IP address. To protect our users from spam, mail sent from your IP\r\n421 4.7.28 address has been temporarily rate limited.', 70, 'soft'],
  ['452-4.2.2 The email account that you tried to reach is over quota. Please direct\r\n452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp', 22, 'soft'],
  ['550-5.7.1 [192.0.2.1] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.', 52, 'block'],
  ['550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.', 50, 'block'],
  ['552-5.2.3 Your message exceeded Google\'s message size limits.', 23, 'soft'],
  ['552-5.7.0 This message was blocked because its content presents a potential security issue.', 53, 'block'],
  ['450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.', 70, 'soft'],
  // Outlook / Hotmail
  ['550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).', 10, 'hard'],
  ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', 10, 'hard'],
  ['550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent. Please contact your Internet service provider since part of their network is on our block list (S3150).', 51, 'block'],
  ['451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77719)', 70, 'soft'],
  ['554 5.2.0 STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded', 22, 'soft'],
  // Yahoo
  ['421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1', 70, 'soft'],
  ['554 delivery error: dd This user doesn\'t have a yahoo.com account (x@yahoo.com) [0] - mta1001.mail.bf1.yahoo.com', 10, 'hard'],
  ['553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed.', 51, 'block'],
  // Generic
  ['554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', 51, 'block'],
  ['452 4.2.2 mailbox full', 22, 'soft'],
  ['451 4.7.1 Greylisting in action, please come back later', 70, 'soft'],
  ['554 5.7.1 <x@y.example>: Relay access denied', 54, 'block'],
  ['554 5.5.1 Error: no valid recipients', 30, 'hard'],
  ['550 5.9.9 something nobody has heard of', 40, 'soft'],
  ['450 4.9.9 something temporary', 20, 'soft'],
];

test('real-world replies from Gmail, Outlook and Yahoo land in the expected SparkPost class and category', () => {
  for (const [reply, cls, category] of cases) {
    const b = classifyBounce({ response: reply });
    assert.deepEqual([b.bounceClass, b.category], [cls, category], reply);
  }
});

test('parseSmtpReply joins continuation lines and reads code and enhanced code once', () => {
  assert.deepEqual(parseSmtpReply('550-5.1.1 first\r\n550 5.1.1 second'), { code: 550, enhancedCode: '5.1.1', text: 'first second' });
  assert.deepEqual(parseSmtpReply('554 delivery error: dd'), { code: 554, enhancedCode: null, text: 'delivery error: dd' });
  assert.deepEqual(parseSmtpReply('connect ECONNREFUSED 127.0.0.1:25'), { code: null, enhancedCode: null, text: 'connect ECONNREFUSED 127.0.0.1:25' });
});

test('explicit code and enhanced code win over the text; enhanced code alone falls back by RFC 3463 subject', () => {
  assert.equal(classifyBounce({ code: 550, enhancedCode: '5.1.1', response: 'rejected' }).bounceClass, 10);
  assert.equal(classifyBounce({ code: 552, enhancedCode: '5.2.2', response: '' }).bounceClass, 22);
  assert.equal(classifyBounce({ code: 250, response: '250 2.0.0 OK' }).bounceClass, 1);
});

test('DNS: NXDOMAIN and null MX are hard invalid-recipient bounces, a temporary DNS failure is class 21 soft', () => {
  assert.deepEqual(classifyBounce(dnsReply('nxdomain', 'nope.test')), { category: 'hard', bounceClass: 10, description: 'Invalid Recipient' });
  assert.equal(classifyBounce(dnsReply('null_mx', 'nullmx.test')).bounceClass, 10);
  assert.deepEqual(classifyBounce(dnsReply('tempfail', 'x.test', 'ESERVFAIL')), { category: 'soft', bounceClass: 21, description: 'DNS Failure' });
});

test('network errors without an SMTP code are timeouts or transient failures; out-of-band texts classify only without a code', () => {
  assert.equal(classifyBounce({ response: 'Connection timed out' }).bounceClass, 24);
  assert.equal(classifyBounce({ response: 'connect ECONNREFUSED 127.0.0.1:25' }).bounceClass, 70);
  assert.equal(classifyBounce({ response: 'I am out of the office until Monday' }).bounceClass, 60);
  assert.equal(classifyBounce({ response: 'please unsubscribe me' }).bounceClass, 90);
  assert.equal(classifyBounce({ response: 'something else' }).bounceClass, 1);
});
