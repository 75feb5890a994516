/**
 * Client protocol and txn records, declared in the order of zookeeper.jute
 * (modules org.apache.zookeeper.data, .proto and .txn).
 */
import { bool, buffer, int, long, record, ustring, vector, type Codec, type Infer } from '../jute/schema.js';
import { readAcl, readStat, writeAcl, writeStat, type Acl, type Stat, readStatPersisted, writeStatPersisted, type StatPersisted } from './data.js';

export const acl: Codec<Acl> = { read: readAcl, write: writeAcl };
export const aclVector = vector(acl);
export const stat: Codec<Stat> = { read: readStat, write: writeStat };
export const statPersisted: Codec<StatPersisted> = { read: readStatPersisted, write: writeStatPersisted };
const stringVector = vector(ustring) as Codec<string[] | null>;

// org.apache.zookeeper.data
export const ClientInfo = record({ authScheme: ustring, user: ustring });

// org.apache.zookeeper.proto
/** ConnectRequest; the trailing readOnly byte (3.8 writes it by hand) is handled by the caller. */
export const ConnectRequest = record({
  protocolVersion: int,
  lastZxidSeen: long,
  timeOut: int,
  sessionId: long,
  passwd: buffer,
});
export const ConnectResponse = record({ protocolVersion: int, timeOut: int, sessionId: long, passwd: buffer });
export const SetWatches = record({
  relativeZxid: long,
  dataWatches: stringVector,
  existWatches: stringVector,
  childWatches: stringVector,
});
export const SetWatches2 = record({
  relativeZxid: long,
  dataWatches: stringVector,
  existWatches: stringVector,
  childWatches: stringVector,
  persistentWatches: stringVector,
  persistentRecursiveWatches: stringVector,
});
export const RequestHeader = record({ xid: int, type: int });
export const MultiHeader = record({ type: int, done: bool, err: int });
export const AuthPacket = record({ type: int, scheme: ustring, auth: buffer });
export const ReplyHeader = record({ xid: int, zxid: long, err: int });
export const GetDataRequest = record({ path: ustring, watch: bool });
export const SetDataRequest = record({ path: ustring, data: buffer, version: int });
export const ReconfigRequest = record({ joiningServers: ustring, leavingServers: ustring, newMembers: ustring, curConfigId: long });
export const SetDataResponse = record({ stat });
export const GetSASLRequest = record({ token: buffer });
export const SetSASLResponse = record({ token: buffer });
export const CreateRequest = record({ path: ustring, data: buffer, acl: aclVector, flags: int });
export const CreateTTLRequest = record({ path: ustring, data: buffer, acl: aclVector, flags: int, ttl: long });
export const DeleteRequest = record({ path: ustring, version: int });
export const GetChildrenRequest = record({ path: ustring, watch: bool });
export const GetAllChildrenNumberRequest = record({ path: ustring });
export const GetChildren2Request = record({ path: ustring, watch: bool });
export const CheckVersionRequest = record({ path: ustring, version: int });
export const SyncRequest = record({ path: ustring });
export const SyncResponse = record({ path: ustring });
export const GetACLRequest = record({ path: ustring });
export const SetACLRequest = record({ path: ustring, acl: aclVector, version: int });
export const SetACLResponse = record({ stat });
export const AddWatchRequest = record({ path: ustring, mode: int });
export const WatcherEvent = record({ type: int, state: int, path: ustring });
export const ErrorResponse = record({ err: int });
export const CreateResponse = record({ path: ustring });
export const Create2Response = record({ path: ustring, stat });
export const ExistsRequest = record({ path: ustring, watch: bool });
export const ExistsResponse = record({ stat });
export const GetDataResponse = record({ data: buffer, stat });
export const GetChildrenResponse = record({ children: stringVector });
export const GetAllChildrenNumberResponse = record({ totalNumber: int });
export const GetChildren2Response = record({ children: stringVector, stat });
export const GetACLResponse = record({ acl: aclVector, stat });
export const CheckWatchesRequest = record({ path: ustring, type: int });
export const RemoveWatchesRequest = record({ path: ustring, type: int });
export const GetEphemeralsRequest = record({ prefixPath: ustring });
export const GetEphemeralsResponse = record({ ephemerals: stringVector });
export const WhoAmIResponse = record({ clientInfo: vector(ClientInfo) });

// org.apache.zookeeper.txn
export const TxnDigest = record({ version: int, treeDigest: long });
export const TxnHeader = record({ clientId: long, cxid: int, zxid: long, time: long, type: int });
export const CreateTxn = record({ path: ustring, data: buffer, acl: aclVector, ephemeral: bool, parentCVersion: int });
export const CreateTTLTxn = record({ path: ustring, data: buffer, acl: aclVector, parentCVersion: int, ttl: long });
export const CreateContainerTxn = record({ path: ustring, data: buffer, acl: aclVector, parentCVersion: int });
export const DeleteTxn = record({ path: ustring });
export const SetDataTxn = record({ path: ustring, data: buffer, version: int });
export const CheckVersionTxn = record({ path: ustring, version: int });
export const SetACLTxn = record({ path: ustring, acl: aclVector, version: int });
export const CreateSessionTxn = record({ timeOut: int });
export const CloseSessionTxn = record({ paths2Delete: stringVector });
export const ErrorTxn = record({ err: int });
export const Txn = record({ type: int, data: buffer });
export const MultiTxn = record({ txns: vector(Txn) });

// org.apache.zookeeper.server.persistence / quorum
export const FileHeader = record({ magic: int, version: int, dbid: long });

export type TxnHeaderValue = Infer<typeof TxnHeader>;
export type ReplyHeaderValue = Infer<typeof ReplyHeader>;
export type WatcherEventValue = Infer<typeof WatcherEvent>;
