import net from "node:net";

/**
 * A TCP relay between a client and the server, so a test can cut live connections (a network
 * blip as both ends see it) and refuse new ones (a network that stays down).
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  private server: net.Server | undefined;
  port = 0;

  constructor(private target: { host: string; port: number }) {}

  /** New connections go to `url` from now on (a load balancer taking a node out). */
  retarget(url: string): void {
    const parsed = new URL(url);
    this.target = { host: parsed.hostname, port: Number(parsed.port) };
  }

  static forUrl(url: string): TcpProxy {
    const parsed = new URL(url);
    return new TcpProxy({ host: parsed.hostname, port: Number(parsed.port) });
  }

  async start(): Promise<string> {
    this.server = net.createServer((client) => {
      if (this.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Cuts every live connection, as a network blip would. */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** While refusing, new connections are closed at once. */
  refuse(refusing: boolean): void {
    this.refusing = refusing;
  }

  get connections(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
