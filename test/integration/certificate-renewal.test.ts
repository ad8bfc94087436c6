import { X509Certificate, createPrivateKey } from 'node:crypto';
import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { describeCertificate } from '../../src/domain/certs/index.js';
import {
  CertificateProbe,
  certificate,
  gatewayFiles,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
} from '../support/certificate-kit.js';
import { AcmeFront } from '../support/acme-front.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { eventually } from '../support/widgets.js';

/** Lifetime of Pebble's certificates: renewal (two thirds, minus jitter) comes after ~16 s. */
const VALIDITY_SECONDS = 24;

interface Sighting {
  readonly serial: string;
  readonly firstSeen: number;
}

/**
 * Reads every gateway's certificate file every 20 ms and notes each moment one of them held no
 * file, an unparsable one, or one that was not current then; and the serials each gateway held,
 * in order.
 */
class GatewayWatch {
  readonly gaps: string[] = [];
  readonly seen = new Map<string, Sighting[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly read: () => ReturnType<typeof gatewayFiles>) {}

  start(): void {
    this.timer = setInterval(() => this.check(), 20);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    for (const file of this.read()) {
      if (!file.crt) {
        this.gaps.push(`${new Date(now).toISOString()} ${file.gateway}: no certificate file`);
        continue;
      }
      let leaf: X509Certificate;
      try {
        leaf = new X509Certificate(file.crt);
      } catch {
        // The agent replaces the file atomically: a torn read would be a finding too.
        this.gaps.push(`${new Date(now).toISOString()} ${file.gateway}: unparsable certificate file`);
        continue;
      }
      if (!(Date.parse(leaf.validFrom) <= now && now < Date.parse(leaf.validTo))) {
        this.gaps.push(
          `${new Date(now).toISOString()} ${file.gateway}: certificate ${leaf.serialNumber} valid ${leaf.validFrom} – ${leaf.validTo}`,
        );
      }
      const serial = leaf.serialNumber.toLowerCase();
      const list = this.seen.get(file.gateway) ?? [];
      if (list.at(-1)?.serial !== serial) list.push({ serial, firstSeen: now });
      this.seen.set(file.gateway, list);
    }
  }
}

describe('Certificate end to end: renewal of a short-lived certificate without downtime on the gateways', function () {
  this.timeout(120_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let h: OperatorHarness;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: VALIDITY_SECONDS });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    // A CA without renewal information (RFC 9773), so the operator's own rule decides: Pebble's
    // ARI window is the whole lifetime, which would make the renewal time a coin toss.
    front.inject(
      'renewalInfo',
      404,
      { type: 'urn:ietf:params:acme:error:malformed', detail: 'no renewal information here' },
      {},
      Number.MAX_SAFE_INTEGER,
    );
    h = await startOperatorHarness('cert-renew', { gateways: 3, httpPort: pebble.httpPort });
  });
  after(async () => {
    await h.stop();
    await front.stop();
    await pebble.stop();
  });

  it('renews at the planned renewal time, before two thirds of the lifetime, and every gateway holds a current certificate throughout, the new one from the renewal on', async () => {
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        'short',
        withDnsNames('short.example.test'),
        withServer(front.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, 'short');
    const first = await probe.waitFor('revision 1 Ready', (s) => s?.revision === 1 && !!s.renewalTime);
    const firstChain = secretEntry(await probe.secret(), 'tls.crt');
    await waitForGateways(h.gateways, h.namespace, 'short', firstChain);

    const watch = new GatewayWatch(() => gatewayFiles(h.gateways, h.namespace, 'short'));
    watch.start();
    try {
      const notBefore = Date.parse(first.notBefore ?? '');
      const notAfter = Date.parse(first.notAfter ?? '');
      const renewalTime = Date.parse(first.renewalTime ?? '');
      // The renewBefore default (720h) is longer than the lifetime: two thirds of it applies,
      // moved earlier by a jitter of at most a tenth of the time left after it; status times are
      // whole seconds, rounded down.
      const twoThirds = notBefore + ((notAfter - notBefore) * 2) / 3;
      expect(renewalTime).to.be.at.most(Math.round(twoThirds));
      expect(renewalTime).to.be.at.least(Math.floor(twoThirds - (notAfter - twoThirds) / 10) - 1000);
      expect(front.count('renewalInfo')).to.be.at.least(1);

      const renewed = await probe.waitFor(
        'revision 2, with its order recorded as valid',
        // The attempt records its order after storing the certificate another reconcile may report first.
        (s) =>
          s?.revision === 2 && s.fingerprintSHA256 !== first.fingerprintSHA256 && s.order?.state === 'valid',
        VALIDITY_SECONDS * 1000 + 20_000,
      );
      const chain = secretEntry(await probe.secret(), 'tls.crt');
      const leaf = verifiedChain(chain, await pebble.rootCertificate());
      expect(leaf.serialNumber).to.equal(renewed.serialNumber);
      expect(leaf.serialNumber).to.not.equal(first.serialNumber);
      await waitForGateways(h.gateways, h.namespace, 'short', chain);
      // Past the first certificate's expiry, so a gap at that moment would be seen too.
      await eventually(() => Date.now() > notAfter + 500, VALIDITY_SECONDS * 1000, 'the first expiry');
      watch.stop();

      expect(watch.gaps, 'moments a gateway held no current certificate').to.deep.equal([]);
      for (const gateway of h.gateways.simulated.gateways) {
        const sightings = watch.seen.get(gateway.name) ?? [];
        expect(
          sightings.map((s) => s.serial),
          gateway.name,
        ).to.deep.equal([first.serialNumber, renewed.serialNumber]);
        expect(
          sightings[1]?.firstSeen,
          `${gateway.name}: new certificate not before renewalTime`,
        ).to.be.at.least(renewalTime);
      }
      for (const file of gatewayFiles(h.gateways, h.namespace, 'short')) {
        expect(describeCertificate(file.crt ?? '').serialNumber).to.equal(renewed.serialNumber);
        expect(
          new X509Certificate(file.crt ?? '').checkPrivateKey(createPrivateKey(file.key ?? '')),
        ).to.equal(true);
      }
      expect(renewed.order?.state).to.equal('valid');
      expect(renewed.order?.url).to.not.equal(first.order?.url);
    } finally {
      watch.stop();
    }
  });
});
