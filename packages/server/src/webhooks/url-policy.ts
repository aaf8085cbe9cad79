import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { AppError } from "../http/app-error.js";

/** Addresses a webhook must not reach unless an admin allows them: the server's own networks. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["::ffff:0:0", 96], // IPv4-mapped: checked again as IPv4 below.
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv6");
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, "ipv4");
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return PRIVATE.check(mapped, "ipv4");
    return PRIVATE.check(address, "ipv6");
  }
  return true;
}

/**
 * Where webhooks may go (SSRF): http(s) only, and — unless `allowPrivate` — never to loopback,
 * private, link-local or other internal ranges. Checked when the webhook is submitted and again
 * on every connection, through the lookup the HTTP client uses, so a name that later resolves
 * somewhere internal (DNS rebinding) is refused at delivery.
 */
export class WebhookUrlPolicy {
  constructor(private readonly allowPrivate: boolean) {}

  async vet(raw: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refused("it is not a valid URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refused("only http and https URLs are allowed");
    if (url.username || url.password) throw refused("credentials in the URL are not allowed");
    if (this.allowPrivate) return url;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const addresses = isIP(host) ? [host] : await resolveAll(host).catch(() => {
      throw refused(`its host ${host} does not resolve`);
    });
    if (addresses.length === 0 || addresses.some(isPrivateAddress)) throw refused(`${host} is a loopback, private or internal address`);
    return url;
  }

  /** A `lookup` for http.request that refuses internal addresses (unless allowed). */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const allowed = this.allowPrivate ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      const first = allowed[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} resolves only to internal addresses`), { code: "EWEBHOOKBLOCKED" }), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
  });
}

function refused(why: string): AppError {
  return new AppError("validation_failed", `The webhook URL is not allowed: ${why}.`, { details: [{ field: "webhook.url", message: why }] });
}
