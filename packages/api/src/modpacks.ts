import Type, { type Static } from "typebox";
import { PathId } from "./pathIds";
import { ModProject, ModVersion, QueryInteger, SafeText, Timestamp } from "./primitives";

const Sha512 = Type.String({ pattern: "^[0-9a-f]{128}$" });

/** Which Modrinth modpack (`.mrpack`) a server runs: an uploaded one by hash, or one of Modrinth's. */
export const ModpackRef = Type.Union(
  [
    Type.Object({ upload: Type.String({ pattern: "^[0-9a-f]{128}$", description: "The sha512 POST /v1/modpacks answered." }) }, { additionalProperties: false }),
    Type.Object(
      { project: ModProject, version: Type.Optional(ModVersion) },
      { additionalProperties: false, description: "A Modrinth modpack project (slug or id) at a version (id or version number; default its newest release)." },
    ),
    Type.Object({ version: Type.String({ pattern: "^[A-Za-z0-9]{8}$", description: "A Modrinth version id of a modpack." }) }, { additionalProperties: false }),
  ],
  {
    title: "ModpackRef",
    description: "A Modrinth modpack (docs/modpacks.md). The pack's Minecraft and loader versions become the server's; its files are its mods (`mods` cannot be given with it).",
  },
);
export type ModpackRef = Static<typeof ModpackRef>;

/** What a server runs, on the server. */
export const ServerModpack = Type.Union(
  [
    Type.Object({
      source: Type.Union([Type.Literal("modrinth"), Type.Literal("upload")]),
      name: Type.String(),
      version: Type.String({ description: "The pack's own version (versionId of its modrinth.index.json)." }),
      projectId: Type.Union([Type.String(), Type.Null()]),
      versionId: Type.Union([Type.String(), Type.Null()], { description: "Modrinth's version id, for a pack from Modrinth." }),
      sha512: Sha512,
    }),
    Type.Null(),
  ],
  { description: "The modpack the server runs (its settings: during a change, the one asked for); null for none." },
);

export const ModpackUpload = Type.Object(
  {
    sha512: Sha512,
    size: Type.Integer(),
    name: Type.String(),
    version: Type.String(),
    minecraftVersion: Type.String(),
    loader: Type.Object({ name: Type.String(), version: Type.String() }),
    files: Type.Integer({ description: "Files the server downloads (client-only ones left out)." }),
    overrides: Type.Integer({ description: "Files placed from overrides/ and server-overrides/." }),
    skipped: Type.Array(Type.String(), { description: "What a server does not get: client-only files, client-overrides/, files the platform writes itself." }),
    uploadedAt: Timestamp,
  },
  { title: "ModpackUpload" },
);

/** `POST /v1/modpacks?customerId=`: the customer the pack is uploaded for; only that customer's servers can use it. */
export const ModpackUploadQuery = Type.Object(
  { customerId: SafeText(1, 128, "The panel's customer id (as on servers): only this customer's servers can be created from or changed to the pack.") },
  { additionalProperties: false },
);
export type ModpackUpload = Static<typeof ModpackUpload>;

/** One upload a customer holds (`GET /v1/modpacks?customerId=`). */
export const HeldModpack = Type.Object(
  {
    id: Type.String({ pattern: "^[0-9a-f]{128}$", description: "The upload's id: its sha512, as POST /v1/modpacks answered (what `modpack.upload` names)." }),
    // The upload's own answer's fields, so the two cannot drift.
    sha512: ModpackUpload.properties.sha512,
    size: ModpackUpload.properties.size,
    name: ModpackUpload.properties.name,
    version: ModpackUpload.properties.version,
    minecraftVersion: ModpackUpload.properties.minecraftVersion,
    loader: ModpackUpload.properties.loader,
    uploadedAt: ModpackUpload.properties.uploadedAt,
    expiresAt: Type.Union([Timestamp, Type.Null()], {
      description: "When the retention sweep removes it (ZLH_MODPACK_RETENTION_DAYS after this customer's upload) if no live server of the customer uses it then; null while one does.",
    }),
    inUse: Type.Boolean({ description: "One of the customer's live servers runs it, asks for it or could roll back to it: it is kept, and cannot be deleted." }),
  },
  { title: "HeldModpack" },
);

export const HeldModpackList = Type.Object(
  { items: Type.Array(HeldModpack), nextCursor: Type.Union([Type.String(), Type.Null()], { description: "Pass as `cursor` for the next page; null on the last." }) },
  { title: "HeldModpackList" },
);

/** `GET /v1/modpacks?customerId=`: the customer whose uploads are listed, a page at a time. */
export const HeldModpackQuery = Type.Object(
  {
    customerId: ModpackUploadQuery.properties.customerId,
    limit: Type.Optional(QueryInteger(1, 500, "How many items a page holds: 1-500, default 50.")),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

/** `DELETE /v1/modpacks/:id`: the upload, by its sha512. */
export const ModpackIdParams = Type.Object({ id: PathId("sha512", 256, "The upload's sha512 (an id that is not one is not found: 404).") }, { additionalProperties: false });
