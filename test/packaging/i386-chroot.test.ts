/**
 * The commonest LTSP 5 chroot, i386, on this amd64 machine (debootstrap --arch=i386, cached; the
 * kernel runs 32-bit programs): the arch-all client package with the chroot's own i386 nodejs chooses
 * among real advertise daemons as screen.d/ldm runs it, and a package of the build machine's
 * architecture is refused by dpkg in one line with nothing written. Needs root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyDeb, clientFixture, hostsAsLdmSees } from '../../testing/debian/client-site.ts';

const f = clientFixture(test, 'i386');

test('apt installs the arch-all client with i386 nodejs; the hook chooses the idle server', () => {
  f.sys.mustExec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', copyDeb(f.sys, f.debs, 'ltsp-balance-client')]);
  assert.is(f.sys.mustExec(['dpkg-query', '-W', '-f=${Architecture}', 'nodejs']), 'i386');
  hostsAsLdmSees(f.sys);
});

test('the build machine\'s bridge package is refused in one line, nothing written', () => {
  const bridge = copyDeb(f.sys, f.debs, 'ltsp-balance-greeter-bridge');
  const before = f.sys.snapshot();
  const r = f.sys.exec(['dpkg', '-i', bridge]);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /package architecture \(amd64\) does not match system \(i386\)/);
  assert.equal(f.sys.snapshot(), before);
});

test.run();
