const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PostgreSQL rejects a malformed uuid with an error; stores treat an id that cannot exist as absent. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
