/**
 * The version tszk reports. The ZooKeeper part comes first because tools parse it: kazoo's
 * server_version() reads the digits at the start of `zookeeper.version=` in `envi`, zktop reads
 * `(\d+\.\d+\.\d+)-` from `stat`, and the Go client wants `built on MM/DD/YYYY HH:MM ZONE`.
 */

/** The ZooKeeper release whose behaviour tszk reproduces. */
export const ZOOKEEPER_VERSION = '3.8.0';
export const TSZK_VERSION = '0.1.0';
export const FULL_VERSION = `${ZOOKEEPER_VERSION}-tszk-${TSZK_VERSION}, built on 11/23/2026 00:00 GMT`;
