/**
 * What OpenAI's strict structured-output mode accepts, as documented in its "Supported schemas" guide
 * (recalled, not fetched: no network here). Used by the fake server to refuse what the real API would
 * refuse, so a schema that passes the tests also passes in production.
 *
 * Rules checked:
 * - the root is an object schema (`type: "object"`), not `anyOf` and not a bare `$ref`;
 * - every object schema has `additionalProperties: false` and a `required` listing every key of
 *   `properties` (and nothing else);
 * - every subschema states a `type` (or is an `anyOf`, a `$ref`, an `enum` or a `const`);
 * - `$ref` points into the schema itself (`#`, `#/$defs/…`, `#/definitions/…`) and resolves;
 * - none of {@link STRICT_UNSUPPORTED_KEYWORDS};
 * - at most {@link STRICT_LIMITS}`.maxDepth` levels of nested objects, `.maxProperties` properties in
 *   all, `.maxEnumValues` values per enum.
 */

/** Keywords the real API refuses in strict mode ("'x' is not permitted."). */
export const STRICT_UNSUPPORTED_KEYWORDS = [
  // composition
  "allOf",
  "not",
  "oneOf",
  "if",
  "then",
  "else",
  "dependentRequired",
  "dependentSchemas",
  // objects
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "minProperties",
  "maxProperties",
  // arrays
  "unevaluatedItems",
  "contains",
  "minContains",
  "maxContains",
  "uniqueItems",
  // strings (pattern and format are supported; length limits are not)
  "minLength",
  "maxLength",
  // a default value cannot be expressed: every property is required
  "default",
] as const;

export const STRICT_LIMITS = { maxDepth: 10, maxProperties: 5000, maxEnumValues: 1000 } as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A path like the real API's error messages show it: a Python tuple, `()` for the root. */
export function formatContext(path: readonly (string | number)[]): string {
  const parts = path.map((p) => (typeof p === "number" ? String(p) : `'${p}'`));
  if (parts.length === 0) return "()";
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}

/**
 * Problems that make OpenAI's strict mode refuse `schema`, one message each in the style of the real
 * API's error (`In context=('properties', 'steps'), 'additionalProperties' is required to be supplied
 * and to be false.`). Empty when strict mode accepts it.
 *
 * @example
 * strictSchemaProblems({ type: "object", properties: { a: { type: "string" } } });
 * // ["In context=(), 'additionalProperties' is required to be supplied and to be false.",
 * //  "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'a'."]
 */
export function strictSchemaProblems(schema: unknown): string[] {
  const problems: string[] = [];
  const at = (path: readonly (string | number)[], message: string) =>
    problems.push(`In context=${formatContext(path)}, ${message}`);

  if (!isObject(schema)) return [`schema must be a JSON Schema object, got ${describe(schema)}.`];
  const rootTypes = typesOf(schema);
  if (!rootTypes.includes("object") || rootTypes.length !== 1) {
    const got =
      "anyOf" in schema ? "anyOf" : "$ref" in schema ? "$ref" : `type: ${JSON.stringify(schema.type)}`;
    problems.push(`schema must be a JSON Schema of 'type: "object"', got '${got}'.`);
  }

  const defs = new Map<string, unknown>();
  for (const key of ["$defs", "definitions"] as const) {
    const block = schema[key];
    if (block === undefined) continue;
    if (!isObject(block)) {
      at([key], `'${key}' must be an object.`);
      continue;
    }
    for (const [name, def] of Object.entries(block)) defs.set(`#/${key}/${name}`, def);
  }

  let propertyCount = 0;
  const walk = (node: unknown, path: (string | number)[], depth: number): void => {
    if (!isObject(node)) {
      at(path, `schema must be an object, got ${describe(node)}.`);
      return;
    }
    for (const keyword of STRICT_UNSUPPORTED_KEYWORDS) {
      if (keyword in node) at(path, `'${keyword}' is not permitted.`);
    }
    if (Array.isArray(node.enum) && node.enum.length > STRICT_LIMITS.maxEnumValues) {
      at(
        path,
        `'enum' has ${node.enum.length} values; at most ${STRICT_LIMITS.maxEnumValues} are permitted.`,
      );
    }
    if ("$ref" in node) {
      const ref = node.$ref;
      if (typeof ref !== "string" || (ref !== "#" && !defs.has(ref))) {
        at(path, `reference ${JSON.stringify(ref)} cannot be resolved.`);
      }
      return; // definitions are checked once each, below
    }
    if ("anyOf" in node) {
      const options = node.anyOf;
      if (!Array.isArray(options) || options.length === 0) at(path, "'anyOf' must be a non-empty array.");
      else options.forEach((option, i) => walk(option, [...path, "anyOf", i], depth));
    }
    const types = typesOf(node);
    if (types.length === 0 && !("anyOf" in node) && !("enum" in node) && !("const" in node)) {
      at(path, "schema must have a 'type' key.");
    }
    if (types.includes("object")) {
      if (depth + 1 > STRICT_LIMITS.maxDepth) {
        at(path, `objects are nested more than ${STRICT_LIMITS.maxDepth} levels deep.`);
        return;
      }
      if (node.additionalProperties !== false) {
        at(path, "'additionalProperties' is required to be supplied and to be false.");
      }
      const properties = isObject(node.properties) ? node.properties : {};
      if (node.properties !== undefined && !isObject(node.properties))
        at(path, "'properties' must be an object.");
      const keys = Object.keys(properties);
      propertyCount += keys.length;
      const required = Array.isArray(node.required) ? node.required : undefined;
      const missing = keys.filter((k) => !required?.includes(k));
      if (required === undefined && keys.length > 0) {
        at(
          path,
          `'required' is required to be supplied and to be an array including every key in properties. Missing '${keys[0]}'.`,
        );
      } else if (missing.length > 0) {
        at(
          path,
          `'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`,
        );
      }
      for (const extra of (required ?? []).filter((k) => typeof k !== "string" || !keys.includes(k))) {
        at(path, `Extra required key '${String(extra)}' supplied.`);
      }
      for (const [key, sub] of Object.entries(properties)) walk(sub, [...path, "properties", key], depth + 1);
    }
    if (types.includes("array")) {
      if (node.items === undefined) at(path, "'items' is required for an array schema.");
      else walk(node.items, [...path, "items"], depth);
    }
  };

  walk(schema, [], 0);
  for (const [ref, def] of defs) walk(def, ref.slice(2).split("/"), 0);
  if (propertyCount > STRICT_LIMITS.maxProperties) {
    problems.push(
      `schema has ${propertyCount} object properties; at most ${STRICT_LIMITS.maxProperties} are permitted.`,
    );
  }
  return problems;
}

function typesOf(node: Json): string[] {
  const type = node.type;
  if (typeof type === "string") return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === "string") : [];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "boolean" ? `the boolean schema ${String(value)}` : typeof value;
}
