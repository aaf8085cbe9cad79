/**
 * The subset of OpenAPI 3.1 that `buildOpenApiDocument` produces. Schemas are JSON Schema
 * (draft 2020-12, the dialect OpenAPI 3.1 uses), kept as plain JSON objects.
 */

export type JsonSchema = Record<string, unknown>;

/** Who may call a route (DESIGN.md §6 and docs/api.md, "Authentication"). */
export type Access = "public" | "user" | "owner" | "admin" | "metrics" | "worker";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface MediaTypeObject {
  schema: JsonSchema;
  example?: unknown;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface RequestBodyObject {
  required: boolean;
  content: Record<string, MediaTypeObject>;
}

export interface ResponseObject {
  description: string;
  content?: Record<string, MediaTypeObject>;
}

/** Alternatives (any one suffices); inside one requirement every scheme is needed. `{}` = none. */
export type SecurityRequirement = Record<string, string[]>;

export interface OperationObject {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: SecurityRequirement[];
  parameters?: ParameterObject[];
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject>;
  /** Who may call it, as one word (also spelled out in `description`). */
  "x-access": Access;
}

export type PathItemObject = Partial<Record<Lowercase<HttpMethod>, OperationObject>>;

export type SecuritySchemeObject =
  | { type: "http"; scheme: "bearer"; bearerFormat?: string; description: string }
  | { type: "apiKey"; in: "cookie" | "header"; name: string; description: string };

export interface TagObject {
  name: string;
  description: string;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  tags: TagObject[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, SecuritySchemeObject>;
  };
}
