import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdvertisement, parseReply } from '../../../shared/wire/parse.ts';
import { renderAdvertisement } from '../../../shared/wire/render.ts';
import { MAX_ATTRIBUTES, MAX_DOCUMENT_BYTES, MAX_ELEMENTS, MAX_USER_NAMES } from '../../../shared/wire/advertisement.ts';
import { RETRY_TCP_REPLY } from '../../../shared/wire/udp-query.ts';
import { sampleAdvertisement } from '../../../testing/sample-advertisement.ts';
import { errorCode } from '../../../testing/helpers/error-code.ts';


const good = renderAdvertisement(sampleAdvertisement(), { includeUserNames: true });
const udpDoc = renderAdvertisement(sampleAdvertisement(), { includeUserNames: false });

test('a rendered document parses back to the same values', () => {
  const ad = parseAdvertisement(good);
  assert.equal(ad, { ...sampleAdvertisement(), mhz: 2400.5, uptimeSec: 86400.5 });
});

test('the UDP rendering carries no user names', () => {
  const udp = renderAdvertisement(sampleAdvertisement(), { includeUserNames: false });
  assert.not.ok(udp.includes('alice'));
  assert.is(parseAdvertisement(udp).userNames, undefined);
});

test('hostnames with XML metacharacters cannot be rendered into markup', () => {
  // the pattern refuses them on parse; rendering escapes them so the document stays well-formed
  const xml = renderAdvertisement(sampleAdvertisement({ hostname: 'a<b>&' }), { includeUserNames: false });
  assert.is(errorCode(() => parseAdvertisement(xml)), 'ERR_WIRE_FIELD');
});

test('bytes are read as bytes: a Buffer works and invalid UTF-8 is a syntax error', () => {
  assert.is(parseAdvertisement(Buffer.from(good)).hostname, 'app1.school.example');
  const bad = Buffer.concat([Buffer.from(good.slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from(good.slice(30))]);
  assert.is(errorCode(() => parseAdvertisement(bad)), 'ERR_WIRE_SYNTAX');
});

test('oversized payloads are refused before any parsing', () => {
  const big = good.replace('</advertise>', `<junk>${'x'.repeat(MAX_DOCUMENT_BYTES)}</junk></advertise>`);
  assert.is(errorCode(() => parseAdvertisement(big)), 'ERR_WIRE_TOO_LARGE');
});

test('entity bombs and DOCTYPEs are refused', () => {
  const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>${good}`;
  assert.is(errorCode(() => parseAdvertisement(bomb)), 'ERR_WIRE_UNSAFE');
  assert.is(errorCode(() => parseAdvertisement(good.replace('<hostname>', '<!entity x "y"><hostname>'))), 'ERR_WIRE_UNSAFE');
});

test('deep nesting is refused', () => {
  const deep = good.replace('</advertise>', `${'<a>'.repeat(20)}${'</a>'.repeat(20)}</advertise>`);
  assert.is(errorCode(() => parseAdvertisement(deep)), 'ERR_WIRE_SYNTAX');
});

test('malformed XML, wrong root and empty input are syntax errors', () => {
  for (const text of ['', 'garbage', good.slice(0, good.length - 5), '<other version="1"/>', '<advertise version="1"><a></b></advertise>']) {
    assert.is(errorCode(() => parseAdvertisement(text)), 'ERR_WIRE_SYNTAX', text.slice(0, 30));
  }
});

test('another version is a version error', () => {
  assert.is(errorCode(() => parseAdvertisement(good.replace('version="1"', 'version="2"'))), 'ERR_WIRE_VERSION');
  assert.is(errorCode(() => parseAdvertisement(good.replace(' version="1"', ''))), 'ERR_WIRE_FIELD');
});

test('invalid numbers name the field: NaN, negative, exponent, hex, out of range, duplicated', () => {
  const cases: Array<[string, string, string]> = [
    ['<cpus>4</cpus>', '<cpus>NaN</cpus>', 'cpus'],
    ['<cpus>4</cpus>', '<cpus>0</cpus>', 'cpus'],
    ['<loadavg1>1.25</loadavg1>', '<loadavg1>-1</loadavg1>', 'loadavg1'],
    ['<loadavg1>1.25</loadavg1>', '<loadavg1>1e308</loadavg1>', 'loadavg1'],
    ['<weight>100</weight>', '<weight>0x10</weight>', 'weight'],
    ['<rating>71</rating>', '<rating>101</rating>', 'rating'],
    ['<rating>71</rating>', '<rating>71</rating><rating>5</rating>', 'rating'],
    ['<sessions>3</sessions>', '', 'sessions'],
    ['<mem_available_kb>12000000</mem_available_kb>', '<mem_available_kb>99000000</mem_available_kb>', 'mem_available_kb'],
    ['<state>accepting</state>', '<state>open</state>', 'state'],
  ];
  for (const [from, to, field] of cases) {
    try {
      parseAdvertisement(good.replace(from, to));
      assert.unreachable(`${to} should be refused`);
    } catch (err) {
      assert.is((err as { code: string }).code, 'ERR_WIRE_FIELD', to);
      assert.is((err as { field: string }).field, field, to);
    }
  }
});

test('unknown elements are ignored (forward compatible)', () => {
  const extended = good.replace('</advertise>', '<gpu_load>0.5</gpu_load><future><x>1</x></future></advertise>');
  assert.is(parseAdvertisement(extended).cpus, 4);
});

test('the retry-over-TCP answer is recognised as such', () => {
  assert.equal(parseReply(RETRY_TCP_REPLY), { kind: 'retry-tcp' });
  assert.is(errorCode(() => parseAdvertisement(RETRY_TCP_REPLY)), 'ERR_WIRE_SYNTAX');
});

test('the parse budget: more markup than a valid document needs is refused before the XML parser runs', () => {
  const fill = (unit: string) => good.replace('</advertise>', `${unit.repeat(Math.floor((MAX_DOCUMENT_BYTES - good.length) / unit.length))}</advertise>`);
  for (const [what, doc] of [
    ['16,000 empty elements', fill('<x/>')],
    ['unknown elements past the budget', good.replace('</advertise>', `${'<x>1</x>'.repeat(MAX_ELEMENTS)}</advertise>`)],
    ['too many <user> elements', udpDoc.replace('</advertise>', `<user_names>${'<user>u</user>'.repeat(MAX_USER_NAMES + 1)}</user_names></advertise>`)],
    ['<user> elements outside the user list count as elements', udpDoc.replace('</advertise>', `<future>${'<user>u</user>'.repeat(MAX_ELEMENTS)}</future></advertise>`)],
    ['attributes', good.replace('version="1"', `version="1"${' a="1"'.repeat(MAX_ATTRIBUTES)}`)],
    ['a comment', good.replace('<hostname>', '<!-- hi --><hostname>')],
    ['CDATA', good.replace('<hostname>', '<![CDATA[x]]><hostname>')],
    ['a processing instruction', good.replace('<hostname>', '<?x y?><hostname>')],
    ['references', fill('&amp;')],
  ] as const) {
    assert.is(errorCode(() => parseAdvertisement(doc)), 'ERR_WIRE_BUDGET', what);
  }
  assert.is(errorCode(() => parseAdvertisement(`<advertise version="1">${'<a '.repeat(100)}`)), 'ERR_WIRE_SYNTAX');
  // Within the budget: the biggest valid document (every user name) and an XML declaration.
  const users = Array.from({ length: MAX_USER_NAMES }, (_, i) => `user${i}<`); // rendered as &lt;
  const full = renderAdvertisement(sampleAdvertisement({ userNames: users }), { includeUserNames: true });
  assert.ok(parseAdvertisement(full).userNames!.every((u, i) => u === users[i]), 'every user name');
  assert.is(parseAdvertisement(`<?xml version="1.0"?>${good}`).hostname, sampleAdvertisement().hostname);
});

test('the user list is read before the XML parser, strictly in the shape servers render, with the parser\'s decoding', () => {
  const withList = (list: string) => udpDoc.replace('</advertise>', `${list}</advertise>`);
  assert.equal(parseAdvertisement(withList('<user_names>\n <user>a</user>\t<user> b </user>\n</user_names>')).userNames, ['a', 'b']);
  assert.equal(parseAdvertisement(withList('<user_names><user>x&amp;lt;&lt;&gt;&quot;&apos;&#65;</user></user_names>')).userNames, ['x&lt;<>"\'&#65;']);
  assert.is(parseAdvertisement(withList('<user_names/>')).userNames, undefined);
  assert.is(parseAdvertisement(withList('<user_names></user_names>')).userNames, undefined);
  for (const [what, list] of [
    ['another element inside', '<user_names><user>a</user><x/></user_names>'],
    ['an attribute', '<user_names n="1"><user>a</user></user_names>'],
    ['markup inside a <user>', '<user_names><user><b>a</b></user></user_names>'],
    ['an empty name', '<user_names><user></user></user_names>'],
    ['a name with a space', '<user_names><user>a b</user></user_names>'],
    ['text beside the users', '<user_names>a<user>a</user></user_names>'],
    ['two lists', '<user_names><user>a</user></user_names><user_names><user>b</user></user_names>'],
  ] as const) {
    assert.is(errorCode(() => parseAdvertisement(withList(list))), 'ERR_WIRE_FIELD', what);
  }
  assert.is(errorCode(() => parseAdvertisement(withList('<user_names><user>a</user>'))), 'ERR_WIRE_FIELD', 'never closed');
  // Quoted attribute values are skipped: a "/>" in one does not make a nested list look like the root's.
  const nested = good.replace('</advertise>', '<future a="/>"><user_names><user>zed</user></user_names></future></advertise>');
  assert.equal(parseAdvertisement(nested).userNames, ['alice', 'bob', 'alice']);
});

test('a document inside the budget that fails a check after 2,048 user names is refused without parsing them', () => {
  const users = Array.from({ length: MAX_USER_NAMES }, (_, i) => `u${String(i).padStart(15, '0')}`);
  const full = renderAdvertisement(sampleAdvertisement({ userNames: users }), { includeUserNames: true });
  assert.is(errorCode(() => parseAdvertisement(full.replace(/<cpus>\d+</, '<cpus>x<'))), 'ERR_WIRE_FIELD');
  assert.is(errorCode(() => parseAdvertisement(full.replace('</advertise>', '</advertisex>'))), 'ERR_WIRE_SYNTAX');
  assert.is(errorCode(() => parseAdvertisement(full.replace('<user>u000000000002047</user>', '<user>bad name</user>'))), 'ERR_WIRE_FIELD');
});

test.run();
