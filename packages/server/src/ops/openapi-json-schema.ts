import { z } from "zod";
import type { JsonSchema } from "./openapi-types.js";

/** The input side of a Zod schema (what a client sends) as JSON Schema, for bodies and queries. */
export function fromZod(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input" });
  return rest;
}

/** A property the TypeScript type marks optional (`name?:`). */
export interface OptionalProperty {
  readonly optional: JsonSchema;
}

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * One JSON Schema per property of `T`, no more and no fewer: optional properties must be wrapped
 * in {@link optional} and required ones must not, so the hand-written response schemas cannot
 * drift from the protocol's interfaces without a type error.
 */
export type Properties<T> = { [K in keyof T]-?: K extends OptionalKeys<T> ? OptionalProperty : JsonSchema };

export const optional = (schema: JsonSchema): OptionalProperty => ({ optional: schema });

/** An object schema checked against the TypeScript type `T` (see {@link Properties}). */
export function shape<T>(properties: Properties<T>, description?: string): JsonSchema {
  const entries = Object.entries<JsonSchema | OptionalProperty>(properties);
  const required = entries.filter(([, value]) => !isOptional(value)).map(([key]) => key);
  return {
    type: "object",
    ...(description !== undefined ? { description } : {}),
    properties: Object.fromEntries(entries.map(([key, value]) => [key, isOptional(value) ? value.optional : value])),
    required,
  };
}

function isOptional(value: JsonSchema | OptionalProperty): value is OptionalProperty {
  return Object.keys(value).length === 1 && "optional" in value;
}

// ---- small builders ------------------------------------------------------------------------

const described = (schema: JsonSchema, description: string | undefined): JsonSchema =>
  description === undefined ? schema : { ...schema, description };

export const string = (description?: string): JsonSchema => described({ type: "string" }, description);
export const nullableString = (description?: string): JsonSchema => described({ type: ["string", "null"] }, description);
export const time = (description?: string): JsonSchema => described({ type: "string", format: "date-time" }, description);
export const nullableTime = (description?: string): JsonSchema => described({ type: ["string", "null"], format: "date-time" }, description);
export const integer = (description?: string): JsonSchema => described({ type: "integer" }, description);
export const nullableInteger = (description?: string): JsonSchema => described({ type: ["integer", "null"] }, description);
export const nullableNumber = (description?: string): JsonSchema => described({ type: ["number", "null"] }, description);
export const boolean = (description?: string): JsonSchema => described({ type: "boolean" }, description);
export const anyJson = (description?: string): JsonSchema => described({}, description);
export const constant = (value: string | boolean): JsonSchema => ({ const: value });
export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => described({ type: "array", items }, description);
export const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
/** `{<key>: [items]}`: how list routes wrap their answer. */
export const listOf = (key: string, items: JsonSchema): JsonSchema => ({
  type: "object",
  properties: { [key]: arrayOf(items) },
  required: [key],
});
