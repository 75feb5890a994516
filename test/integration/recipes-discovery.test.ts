// Proves service discovery against tszk and real ZooKeeper 3.8: Curator's layout and JSON
// (`<base>/<name>/<id>`, ephemeral for DYNAMIC, the exact fields in Curator's order, and JSON
// written by Curator read back), five registrants seen by queries, a service cache and a
// provider; unregistering and a closed session remove instances; an expired registrant comes
// back under its new session with its latest data; connection cuts leave registrations alone.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JsonInstanceSerializer,
  ServiceDiscovery,
  UriSpec,
  serviceInstance,
  type ServiceInstance,
} from '../../src/recipes/service-discovery.js';
import { ClientPool, describeOnTargets, expireSession, waitFor, childrenOrNone } from '../support/recipes-harness.js';

type Payload = { readonly zone: string };

/** JSON a Java service wrote through Curator's JsonInstanceSerializer (as shown in Spring Cloud Zookeeper's docs). */
const CURATOR_JSON =
  '{"name":"testZookeeperApp","id":"3d6c1b57-1a7b-4e8f-b8d0-36cba7ad8e3b","address":"10.0.0.5","port":9000,"sslPort":null,' +
  '"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance","id":"testZookeeperApp","name":"testZookeeperApp","metadata":{}},' +
  '"registrationTimeUTC":1470213419855,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},' +
  '{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}';

test('instances serialize with Curator field names and order, and Curator JSON reads back', () => {
  const instance = serviceInstance<Payload>({
    name: 'api',
    id: 'id-1',
    address: '10.1.2.3',
    port: 8080,
    payload: { zone: 'a' },
    registrationTimeUTC: 1_700_000_000_000,
    uriSpec: '{scheme}://{address}:{port}/v1',
  });
  const json = JSON.parse(new JsonInstanceSerializer<Payload>().serialize(instance).toString());
  assert.deepEqual(Object.keys(json), ['name', 'id', 'address', 'port', 'sslPort', 'payload', 'registrationTimeUTC', 'serviceType', 'uriSpec', 'enabled']);
  assert.deepEqual(json.uriSpec.parts[0], { value: 'scheme', variable: true });
  assert.equal(json.serviceType, 'DYNAMIC');
  assert.equal(json.sslPort, null);
  const compatible = JSON.parse(new JsonInstanceSerializer({ compatibleSerializationMode: true }).serialize(instance).toString());
  assert.equal('enabled' in compatible, false, "Curator's default (compatible) form has no enabled");
  const fromCurator = new JsonInstanceSerializer().deserialize(Buffer.from(CURATOR_JSON));
  assert.equal(fromCurator.name, 'testZookeeperApp');
  assert.equal(fromCurator.port, 9000);
  assert.equal(fromCurator.enabled, true);
  assert.equal(fromCurator.uriSpec?.build(fromCurator), 'http://10.0.0.5:9000');
  assert.equal(new UriSpec('{scheme}://{address}:{ssl-port}{[}x{]}').build({ ...fromCurator, sslPort: 9443 }), 'https://10.0.0.5:9443{x}');
  assert.throws(() => new UriSpec('{open'), /Final variable not closed/);
});

describeOnTargets('service discovery', (target) => {
  const fixture = new ClientPool(target);
  after(() => fixture.closeAll());

  test("five registrants are found by queries, a service cache and a provider; Curator's layout on the server", async () => {
    const observer = await fixture.observer();
    const registrants = await Promise.all([0, 1, 2, 3, 4].map(() => fixture.session()));
    const discoveries = registrants.map((r) => new ServiceDiscovery<Payload>(r.session, { basePath: '/services' }));
    const instances = discoveries.map((_, i) =>
      serviceInstance<Payload>({ name: 'api', id: `api-${i}`, address: '127.0.0.1', port: 9000 + i, payload: { zone: `z${i % 2}` } }),
    );
    await Promise.all(discoveries.map((d) => d.start()));
    await Promise.all(discoveries.map((d, i) => d.registerService(instances[i]!)));

    // Layout and data as curator-x-discovery writes them.
    assert.deepEqual((await observer.getChildren('/services/api')).sort(), ['api-0', 'api-1', 'api-2', 'api-3', 'api-4']);
    const { data, stat } = await observer.getData('/services/api/api-3');
    assert.equal(stat.ephemeralOwner, registrants[3]!.session.client.sessionId, 'DYNAMIC instances are ephemeral nodes of their registrant');
    const raw = JSON.parse(data!.toString());
    assert.deepEqual(raw.payload, { zone: 'z1' });
    assert.equal(raw.port, 9003);

    const reader = await fixture.session();
    const discovery = new ServiceDiscovery<Payload>(reader.session, { basePath: '/services' });
    await discovery.start();
    assert.deepEqual(await discovery.queryForNames(), ['api']);
    assert.deepEqual((await discovery.queryForInstances('api')).map((i) => i.port), [9000, 9001, 9002, 9003, 9004]);
    assert.equal((await discovery.queryForInstance('api', 'api-2'))?.payload?.zone, 'z0');
    assert.equal(await discovery.queryForInstance('api', 'nope'), null);

    const cache = discovery.serviceCache('api');
    await cache.start();
    assert.equal(cache.getInstances().length, 5);
    const provider = discovery.serviceProvider('api');
    await provider.start();
    const picked = new Set<string>();
    for (let i = 0; i < 10; i++) picked.add(provider.getInstance()!.id);
    assert.equal(picked.size, 5, 'round robin visits every instance');
    provider.noteError(instances[0]!);
    provider.noteError(instances[0]!);
    assert.equal(provider.getAllInstances().some((i) => i.id === 'api-0'), false, 'two errors mark an instance down');

    // Update, unregister, and a registrant that goes away.
    await discoveries[1]!.updateService({ ...instances[1]!, port: 9101 });
    await waitFor('update seen by the cache', () => cache.getInstances().some((i) => i.port === 9101));
    await discoveries[2]!.unregisterService(instances[2]!);
    await registrants[4]!.close();
    await waitFor('three left', () => cache.getInstances().length === 3);
    assert.deepEqual(cache.getInstances().map((i) => i.id), ['api-0', 'api-1', 'api-3']);
    assert.deepEqual((await observer.getChildren('/services/api')).sort(), ['api-0', 'api-1', 'api-3']);
    await discovery.close();
    for (const d of discoveries) await d.close();
    // The emptied container may already have been swept: gone counts as empty.
    assert.deepEqual(await childrenOrNone(observer, '/services/api'), [], 'close unregisters');
  });

  test('an expired registrant comes back under its new session with its latest data; cuts change nothing', async () => {
    const observer = await fixture.observer();
    const { session, proxy } = await fixture.session();
    const discovery = new ServiceDiscovery<Payload>(session, { basePath: '/svc-expiry' });
    const instance = serviceInstance<Payload>({ name: 'worker', id: 'w1', port: 1, payload: { zone: 'a' } });
    await discovery.start();
    await discovery.registerService(instance);
    const watcherSession = await fixture.session();
    const watching = new ServiceDiscovery<Payload>(watcherSession.session, { basePath: '/svc-expiry' });
    await watching.start();
    const cache = watching.serviceCache('worker');
    const seen: string[] = [];
    cache.addListener((e) => e.type !== 'initialized' && seen.push(e.type));
    await cache.start();
    assert.deepEqual(seen, ['created'], 'the initial load');
    seen.length = 0;
    const firstOwner = (await observer.exists('/svc-expiry/worker/w1'))!.ephemeralOwner;

    for (let i = 0; i < 3; i++) proxy.cut();
    await waitFor('reconnected', () => session.isConnected);
    assert.equal((await observer.exists('/svc-expiry/worker/w1'))?.ephemeralOwner, firstOwner, 'cuts keep the registration');

    await expireSession(target.port, session.client, proxy, async () => {
      await waitFor('instance gone with the session', () => cache.getInstances().length === 0);
      await discovery.updateService({ ...instance, port: 2, payload: { zone: 'b' } });
    });
    await waitFor('re-registered', () => cache.getInstances().length === 1);
    const back = cache.getInstances()[0]!;
    assert.equal(back.port, 2);
    assert.deepEqual(back.payload, { zone: 'b' });
    const stat = await observer.exists('/svc-expiry/worker/w1');
    assert.notEqual(stat?.ephemeralOwner, firstOwner);
    assert.equal(stat?.ephemeralOwner, session.client.sessionId);
    assert.deepEqual(seen, ['deleted', 'created'], 'one departure, one return; nothing for the cuts');
    await watching.close();
    await discovery.close();
  });

  test('PERMANENT instances are persistent nodes; DYNAMIC_SEQUENTIAL ones get a sequence suffix', async () => {
    const observer = await fixture.observer();
    const { session } = await fixture.session();
    const discovery = new ServiceDiscovery(session, { basePath: '/svc-types' });
    await discovery.start();
    const permanent: ServiceInstance = serviceInstance({ name: 'db', id: 'primary', serviceType: 'PERMANENT' });
    const sequential: ServiceInstance = serviceInstance({ name: 'db', id: 'replica-', serviceType: 'DYNAMIC_SEQUENTIAL' });
    await discovery.registerService(permanent);
    await discovery.registerService(sequential);
    assert.equal((await observer.exists('/svc-types/db/primary'))?.ephemeralOwner, 0n);
    const path = discovery.registeredPath('replica-')!;
    assert.match(path, /^\/svc-types\/db\/replica-\d{10}$/);
    assert.equal((await observer.exists(path))?.ephemeralOwner, session.client.sessionId);
    await discovery.close();
  });
});
