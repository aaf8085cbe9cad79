export { buildApp, type BuildOptions, type WsSpacesApp } from "./app.js";
export { defaultConfig, sqlitePath, type ServerConfig } from "./config.js";
export { openDatabase, type OpenedDatabase, type DialectCapabilities } from "./db/dialect.js";
export { migrateOrThrow, migrateToLatest } from "./db/migrate.js";
export { AppError } from "./http/app-error.js";
export { systemClock, type Clock } from "./util/time.js";
export { CONFIG_OPTIONS, renderConfigurationDoc, type ConfigOption } from "./config-options.js";
export { buildOpenApiDocument, openApiJson, type OpenApiDocument } from "./ops/openapi.js";
export { verifyDelivery as verifyWebhookSignature, signDelivery as signWebhookDelivery } from "./webhooks/signing.js";
