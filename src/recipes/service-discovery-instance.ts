/**
 * Service instances as curator-x-discovery stores them: the ServiceInstance record, its JSON
 * form (JsonInstanceSerializer's, so Java services using Curator and these recipes can find
 * each other), and UriSpec templates.
 *
 * The JSON keeps Curator's field order: name, id, address, port, sslPort, payload,
 * registrationTimeUTC, serviceType, uriSpec ({"parts":[{"value","variable"}...]}), enabled.
 * Curator's default serializer (compatibleSerializationMode) leaves `enabled` out; here it is
 * written unless `compatibleSerializationMode` is asked for. Both read either form. A payload
 * is any JSON value; a Java reader typed on a payload class needs the object to carry that
 * class's name in `@class`, as Jackson writes it.
 */
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/** Curator's ServiceType: DYNAMIC and DYNAMIC_SEQUENTIAL are ephemeral, STATIC and PERMANENT persistent. */
export type ServiceType = 'DYNAMIC' | 'STATIC' | 'PERMANENT' | 'DYNAMIC_SEQUENTIAL';

const SERVICE_TYPES: readonly ServiceType[] = ['DYNAMIC', 'STATIC', 'PERMANENT', 'DYNAMIC_SEQUENTIAL'];

/** One token of a UriSpec: a literal, or a variable to replace. */
export interface UriSpecPart {
  readonly value: string;
  readonly variable: boolean;
}

/** A registered (or registrable) instance of a service: Curator's ServiceInstance. */
export interface ServiceInstance<T = unknown> {
  readonly name: string;
  readonly id: string;
  readonly address: string | null;
  readonly port: number | null;
  readonly sslPort: number | null;
  readonly payload: T | null;
  /** Milliseconds since the epoch. */
  readonly registrationTimeUTC: number;
  readonly serviceType: ServiceType;
  readonly uriSpec: UriSpec | null;
  readonly enabled: boolean;
}

/** What `serviceInstance` needs; everything else has Curator's defaults. */
export interface ServiceInstanceInit<T> {
  name: string;
  /** Default: a random UUID. */
  id?: string;
  /** Default: the first non-internal IPv4 address, else 127.0.0.1 (Curator: the first NIC's). */
  address?: string | null;
  port?: number | null;
  sslPort?: number | null;
  payload?: T | null;
  /** Default: now. */
  registrationTimeUTC?: number;
  /** Default DYNAMIC. */
  serviceType?: ServiceType;
  /** A spec string (`{scheme}://{address}:{port}`) or a UriSpec. */
  uriSpec?: string | UriSpec | null;
  /** Default true. */
  enabled?: boolean;
}

/** Builds a ServiceInstance with Curator's builder defaults. */
export function serviceInstance<T = unknown>(init: ServiceInstanceInit<T>): ServiceInstance<T> {
  if (typeof init.name !== 'string' || init.name === '') throw new Error('name cannot be empty');
  const uriSpec = init.uriSpec === undefined || init.uriSpec === null ? null : typeof init.uriSpec === 'string' ? new UriSpec(init.uriSpec) : init.uriSpec;
  return {
    name: init.name,
    id: init.id ?? randomUUID(),
    address: init.address === undefined ? localAddress() : init.address,
    port: init.port ?? null,
    sslPort: init.sslPort ?? null,
    payload: init.payload ?? null,
    registrationTimeUTC: init.registrationTimeUTC ?? Date.now(),
    serviceType: init.serviceType ?? 'DYNAMIC',
    uriSpec,
    enabled: init.enabled ?? true,
  };
}

/** The first non-internal IPv4 address of this host, else 127.0.0.1. */
export function localAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

/** Curator's UriSpec: `{variable}` fields between literals; `{[}` and `{]}` are literal braces. */
export class UriSpec {
  readonly parts: UriSpecPart[];

  constructor(spec: string | readonly UriSpecPart[] = []) {
    this.parts = typeof spec === 'string' ? parseUriSpec(spec) : spec.map((p) => ({ value: p.value, variable: p.variable }));
  }

  /**
   * The URI for `instance` (if given), with `variables` overriding the predefined fields:
   * scheme (http, or https when the instance has an sslPort), name, id, address, port,
   * ssl-port, registration-time-utc, service-type. Unknown variables become empty.
   */
  build(instance?: ServiceInstance<unknown> | null, variables: Record<string, unknown> = {}): string {
    const values: Record<string, unknown> = { '[': '{', ']': '}', scheme: 'http' };
    if (instance !== undefined && instance !== null) {
      Object.assign(values, {
        name: instance.name,
        id: instance.id,
        address: instance.address ?? '',
        port: instance.port ?? '',
        'ssl-port': instance.sslPort ?? '',
        'registration-time-utc': instance.registrationTimeUTC,
        'service-type': instance.serviceType.toLowerCase(),
      });
      if (instance.sslPort !== null) values.scheme = 'https';
    }
    Object.assign(values, variables);
    let uri = '';
    for (const part of this.parts) {
      if (!part.variable) uri += part.value;
      else if (values[part.value] !== undefined && values[part.value] !== null) uri += String(values[part.value]);
    }
    return uri;
  }

  /** Jackson's form: `{"parts":[...]}`. */
  toJSON(): { parts: UriSpecPart[] } {
    return { parts: this.parts.map((p) => ({ value: p.value, variable: p.variable })) };
  }
}

function parseUriSpec(spec: string): UriSpecPart[] {
  const parts: UriSpecPart[] = [];
  let inside = false;
  for (const token of spec.split(/([{}])/)) {
    if (token === '') continue;
    if (token === '{') {
      if (inside) throw new Error('{ is not allowed inside of a variable specification');
      inside = true;
    } else if (token === '}') {
      if (!inside) throw new Error('} must be preceded by {');
      inside = false;
    } else {
      parts.push({ value: inside ? token.trim() : token, variable: inside });
    }
  }
  if (inside) throw new Error('Final variable not closed - expected }');
  return parts;
}

/** Turns instances into node data and back (Curator's InstanceSerializer). */
export interface InstanceSerializer<T> {
  serialize(instance: ServiceInstance<T>): Buffer;
  /** Throws on data that is not an instance. */
  deserialize(data: Buffer): ServiceInstance<T>;
}

/** Options of JsonInstanceSerializer. */
export interface JsonInstanceSerializerOptions<T> {
  /** Leave `enabled` out, as Curator's default does for readers older than CURATOR-275. Default false. */
  compatibleSerializationMode?: boolean;
  /** Checks a payload read back (Curator: payloadClass.cast); throw to refuse the instance. */
  validatePayload?: (payload: unknown) => T | null;
}

/** Curator's JsonInstanceSerializer. */
export class JsonInstanceSerializer<T = unknown> implements InstanceSerializer<T> {
  constructor(private readonly options: JsonInstanceSerializerOptions<T> = {}) {}

  serialize(instance: ServiceInstance<T>): Buffer {
    const record: Record<string, unknown> = {
      name: instance.name,
      id: instance.id,
      address: instance.address,
      port: instance.port,
      sslPort: instance.sslPort,
      payload: instance.payload,
      registrationTimeUTC: instance.registrationTimeUTC,
      serviceType: instance.serviceType,
      uriSpec: instance.uriSpec === null ? null : instance.uriSpec.toJSON(),
    };
    if (!this.options.compatibleSerializationMode) record.enabled = instance.enabled;
    return Buffer.from(JSON.stringify(record), 'utf8');
  }

  deserialize(data: Buffer): ServiceInstance<T> {
    const raw: unknown = JSON.parse(data.toString('utf8'));
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('service instance: not a JSON object');
    const record = raw as Record<string, unknown>;
    const serviceType = record.serviceType ?? 'DYNAMIC';
    if (!SERVICE_TYPES.includes(serviceType as ServiceType)) throw new Error(`service instance: unknown serviceType ${String(serviceType)}`);
    const payload = record.payload ?? null;
    return {
      name: stringField(record, 'name', ''),
      id: stringField(record, 'id', ''),
      address: nullableString(record, 'address'),
      port: nullableInteger(record, 'port'),
      sslPort: nullableInteger(record, 'sslPort'),
      payload: this.options.validatePayload === undefined ? (payload as T | null) : this.options.validatePayload(payload),
      registrationTimeUTC: nullableInteger(record, 'registrationTimeUTC') ?? 0,
      serviceType: serviceType as ServiceType,
      uriSpec: parseUriSpecField(record.uriSpec),
      enabled: record.enabled === undefined || record.enabled === null ? true : record.enabled === true,
    };
  }
}

function stringField(record: Record<string, unknown>, key: string, fallback: string): string {
  const value = record[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new Error(`service instance: ${key} is not a string`);
  return value;
}

function nullableString(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return value === undefined || value === null ? null : stringField(record, key, '');
}

function nullableInteger(record: Record<string, unknown>, key: string): number | null {
  const value = record[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`service instance: ${key} is not an integer`);
  return value;
}

function parseUriSpecField(value: unknown): UriSpec | null {
  if (value === undefined || value === null) return null;
  const parts = (value as { parts?: unknown }).parts;
  if (!Array.isArray(parts)) throw new Error('service instance: uriSpec without parts');
  return new UriSpec(
    parts.map((p: unknown) => {
      const part = p as { value?: unknown; variable?: unknown };
      return { value: typeof part.value === 'string' ? part.value : '', variable: part.variable === true };
    }),
  );
}
