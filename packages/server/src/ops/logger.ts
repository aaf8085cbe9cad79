import { pino, type Logger } from "pino";
import type { ServerConfig } from "../config.js";

/**
 * The server's logger: JSON lines for machines by default, colourised one-liners for a person at
 * a terminal (`--log-format auto`, the default, picks by whether stdout is a TTY). Credentials
 * never reach it: request logs carry method, URL and addresses, not headers or bodies.
 */
export function createLogger(config: Pick<ServerConfig, "logLevel" | "logFormat">): Logger {
  const pretty = config.logFormat === "pretty" || (config.logFormat === "auto" && process.stdout.isTTY);
  if (!pretty) return pino({ level: config.logLevel, base: { pid: process.pid } });
  return pino({
    level: config.logLevel,
    transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } },
  });
}
