// The sim runtime's "Minecraft server": a process that answers the real
// Server List Ping (handshake, status request, ping) on the port that
// server.properties names, with the MOTD and max-players it sets and the game
// version the placed manifest names. Plain JavaScript with no dependencies so
// that it starts in tens of milliseconds (a server start is on the hot path
// of every lifecycle). It refuses to start without eula=true, as Minecraft does.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const rootfs = process.argv[2];
const dir = join(rootfs, "srv", "minecraft");
const read = (name) => {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return null;
  }
};
const props = Object.fromEntries(
  (read("server.properties") ?? "")
    .split("\n")
    .filter((l) => l && !l.startsWith("#") && l.includes("="))
    .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
);
if (!/^eula=true$/m.test(read("eula.txt") ?? "")) {
  console.error("You need to agree to the EULA in order to run the server.");
  process.exit(1);
}
// Started the way a Fabric server is: through its launcher jar, which must be in place.
if (read("fabric-server-launch.jar") === null) {
  console.error("Error: Unable to access jarfile fabric-server-launch.jar");
  process.exit(1);
}
let manifest = {};
try {
  manifest = JSON.parse(read(".zlh/manifest.json") ?? "{}");
} catch {}
const port = Number(props["server-port"] ?? 25565);
const status = JSON.stringify({
  version: { name: manifest.game ?? "unknown", protocol: 767 },
  players: { max: Number(props["max-players"] ?? 20), online: 0, sample: [] },
  description: { text: props.motd ?? "A Minecraft Server" },
  enforcesSecureChat: false,
});

function varint(n) {
  const out = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
function readVarint(buf, off) {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (off + i >= buf.length) return null;
    const b = buf[off + i];
    result |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return { value: result, size: i + 1 };
  }
  throw new Error("varint too long");
}
function packet(id, payload) {
  const body = Buffer.concat([varint(id), payload]);
  return Buffer.concat([varint(body.length), body]);
}

const server = createServer((socket) => {
  let buf = Buffer.alloc(0);
  let state = 0;
  socket.on("error", () => {});
  socket.setTimeout(10_000, () => socket.destroy());
  socket.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    try {
      for (;;) {
        const len = readVarint(buf, 0);
        if (!len || buf.length < len.size + len.value) return;
        const body = buf.subarray(len.size, len.size + len.value);
        buf = buf.subarray(len.size + len.value);
        const id = readVarint(body, 0);
        if (state === 0 && id.value === 0) {
          state = 1; // handshake; we only serve the status state
        } else if (state === 1 && id.value === 0) {
          const json = Buffer.from(status, "utf8");
          socket.write(packet(0, Buffer.concat([varint(json.length), json])));
        } else if (state === 1 && id.value === 1) {
          socket.end(packet(1, body.subarray(id.size)));
        } else {
          socket.destroy();
        }
      }
    } catch {
      socket.destroy();
    }
  });
});
server.listen(port, "127.0.0.1");
server.on("error", (err) => {
  console.error(err.message);
  process.exit(1);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
