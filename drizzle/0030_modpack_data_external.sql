-- An uploaded pack is a zip: its entries are compressed already, so pglz
-- gains nothing and costs a decompression of the whole value on every read.
-- EXTERNAL keeps it out of line and uncompressed, so the agent route's
-- substring() slices (modpackUploadSlice) read only the TOAST chunks they
-- need instead of the whole pack each time. It applies to values written
-- after it (existing rows keep their storage until rewritten). drizzle-kit
-- cannot express a column's storage, hence this hand-written migration.
ALTER TABLE "modpack_uploads" ALTER COLUMN "data" SET STORAGE EXTERNAL;
