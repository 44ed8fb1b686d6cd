// A TCP proxy in front of the server that can cut the network: every open connection (the SSE
// stream included) is reset and new ones are refused for a while. Used by the wall's reconnect
// check (run.mjs) and the soak (scripts/soak-wall.mjs); the browser's own offline mode does not
// end a stream that is already open, so it cannot stand in for a real drop.
import net from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a proxy to `targetUrl` on a free local port: {url, drop(ms), close()}. */
export async function dropProxy(targetUrl) {
  const target = new URL(targetUrl);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const sockets = new Set();
  let down = false;
  const server = net.createServer((client) => {
    if (down) { client.destroy(); return; }
    const upstream = net.connect(port, target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) { s.on('error', end); s.on('close', end); }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${target.protocol}//127.0.0.1:${server.address().port}`,
    /** Resets every connection and refuses new ones for `ms`. */
    async drop(ms) {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await sleep(ms);
      down = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
