/** Configuration errors and warnings that say where (file, line, key) and what was expected. */

/** Where a setting came from; line 0 means "not from a file line" (a default or an override). */
export interface ConfigLocation {
  readonly file: string | undefined;
  readonly line: number;
  readonly key: string;
}

/** `file:line: key: message`, leaving out what is unknown. */
export function describeLocation(where: ConfigLocation): string {
  const place = where.file === undefined ? '' : where.line > 0 ? `${where.file}:${where.line}: ` : `${where.file}: `;
  return `${place}${where.key}`;
}

/** A configuration the server refuses to start with. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly where: ConfigLocation | undefined;

  constructor(where: ConfigLocation | undefined, message: string) {
    super(where === undefined ? message : `${describeLocation(where)}: ${message}`);
    this.where = where;
  }
}

/** A setting the server accepts but wants the operator to know about. */
export interface ConfigWarning {
  readonly where: ConfigLocation;
  readonly message: string;
}

export function formatWarning(warning: ConfigWarning): string {
  return `${describeLocation(warning.where)}: ${warning.message}`;
}
