// Apache Curator's own recipes (the Debian curator-recipes jar) contending with tszk's TypeScript
// recipes on the same paths; driven by test/compat/curator.test.ts.
//
//   java CuratorContender mutex <connect> <lockPath> <csNode> <logPath> <threads> <rounds>
//   java CuratorContender latch <connect> <latchPath> <markerNode> <logPath> <threads> <rounds>
//
// Each thread has its own CuratorFramework. In "mutex" mode it takes InterProcessMutex <rounds>
// times; in "latch" mode it joins a LeaderLatch, waits for leadership, and leaves, <rounds>
// times. While holding the lock or leading it runs the shared critical-section protocol: create
// the EPHEMERAL <csNode>/<markerNode> (NODEEXISTS means someone else is inside: a violation),
// append a PERSISTENT_SEQUENTIAL entry "java" under <logPath>, pause, delete the node.
// Prints "NODE <name>" for the lock/latch nodes it sees, then "DONE holds=H violations=V", and
// exits 0; any error prints "FAIL <reason>" and exits 1. Every wait is bounded.

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

public final class CuratorContender {
    private static final int WAIT_SECONDS = 30;
    private static final AtomicInteger holds = new AtomicInteger();
    private static final AtomicInteger violations = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.out.println("FAIL usage: mutex|latch connect path csNode logPath threads rounds");
            System.exit(1);
        }
        final String mode = args[0];
        final String connect = args[1];
        final String path = args[2];
        final String csNode = args[3];
        final String logPath = args[4];
        final int threads = Integer.parseInt(args[5]);
        final int rounds = Integer.parseInt(args[6]);
        final List<Thread> workers = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread worker = new Thread(() -> {
                try (CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 10_000, 10_000, new ExponentialBackoffRetry(100, 5))) {
                    client.start();
                    if (!client.blockUntilConnected(WAIT_SECONDS, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
                    Random random = new Random(id);
                    for (int round = 0; round < rounds; round++) {
                        if (mode.equals("mutex")) mutexRound(client, path, csNode, logPath, random);
                        else latchRound(client, path, csNode, logPath, "java-" + id, random);
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) worker.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS * 4L));
        for (Thread worker : workers) {
            if (worker.isAlive()) {
                System.out.println("FAIL a worker did not finish");
                System.exit(1);
            }
        }
        if (!errors.isEmpty()) {
            System.out.println("FAIL " + errors.get(0));
            System.exit(1);
        }
        System.out.println("DONE holds=" + holds.get() + " violations=" + violations.get());
        System.exit(0);
    }

    private static void mutexRound(CuratorFramework client, String path, String csNode, String logPath, Random random) throws Exception {
        InterProcessMutex mutex = new InterProcessMutex(client, path);
        if (!mutex.acquire(WAIT_SECONDS, TimeUnit.SECONDS)) throw new IllegalStateException("mutex not acquired in time");
        try {
            for (String node : client.getChildren().forPath(path)) System.out.println("NODE " + node);
            criticalSection(client, csNode, logPath, random);
        } finally {
            mutex.release();
        }
    }

    private static void latchRound(CuratorFramework client, String path, String markerNode, String logPath, String id, Random random) throws Exception {
        LeaderLatch latch = new LeaderLatch(client, path, id);
        latch.start();
        try {
            if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) throw new IllegalStateException("no leadership in time");
            for (String node : client.getChildren().forPath(path)) System.out.println("NODE " + node);
            criticalSection(client, markerNode, logPath, random);
        } finally {
            latch.close();
        }
    }

    private static void criticalSection(CuratorFramework client, String node, String logPath, Random random) throws Exception {
        holds.incrementAndGet();
        boolean created = false;
        try {
            client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(node, "java".getBytes("UTF-8"));
            created = true;
        } catch (KeeperException.NodeExistsException e) {
            violations.incrementAndGet();
        }
        client.create().creatingParentContainersIfNeeded().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(logPath + "/e-", "java".getBytes("UTF-8"));
        Thread.sleep(5 + random.nextInt(15));
        if (created) client.delete().forPath(node);
    }
}
