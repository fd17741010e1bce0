import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A stand-in for Paper's launcher, Paperclip (PaperMC/Paperclip, java17's
 * Paperclip.setupClasspath with DownloadContext, FileEntry and PatchEntry),
 * for a Paper or Purpur jar started on a real container. It reads the
 * launched jar's META-INF as Paperclip reads its own and makes the same
 * decisions in the same order, with Paperclip's wording:
 *  - a working directory containing '!' is refused;
 *  - patches.list without download-context is refused;
 *  - the download context's file must be at cache/<file> with its sha256,
 *    else Paperclip downloads it: here that is where it would go to the
 *    network, so it prints "Downloading <file>", then fails as Paperclip
 *    does when the download fails ("Failed to download <file>", exit 1);
 *  - versions.list and libraries.list entries are extracted into versions/
 *    and libraries/ from this jar or the original one, each checked by
 *    sha256 (kept when already there with it);
 *  - each patch's input (in the original jar) and patch file (in this jar)
 *    is checked by sha256 and the output written to versions/ and checked.
 * Real patches are bsdiff (jbsdiff); a stand-in patch is STANDIN_PATCH
 * followed by the output's bytes (a test's "patched" jar), and anything
 * else fails as a corrupt bsdiff would ("Failed to patch <input>").
 * Paperclip then loads META-INF/main-class from the patched jar; the
 * stand-in game (StandinServer) plays that class's part.
 */
final class Paperclip {
    /** The launcher class a Paperclip jar's manifest names (java6's Main, which hands over to java17's Paperclip). */
    static final String MAIN_CLASS = "io.papermc.paperclip.Main";
    /** The header of a stand-in patch; the rest of the patch is the output. */
    static final String STANDIN_PATCH = "ZLH-STANDIN-BSDIFF\n";

    private record DownloadContext(byte[] hash, String url, String fileName) {}
    private record FileEntry(byte[] hash, String id, String path) {}
    private record PatchEntry(String location, byte[] originalHash, byte[] patchHash, byte[] outputHash, String originalPath, String patchPath, String outputPath) {}

    private Paperclip() {}

    /** Paperclip.main up to starting the game: sets up versions/ and libraries/ from `jar` and returns the main class it would start. */
    static String setup(Path jar) throws IOException {
        if (Path.of("").toAbsolutePath().toString().contains("!")) {
            System.err.println("Paperclip may not run in a directory containing '!'. Please rename the affected folder.");
            System.exit(1);
        }
        Path repoDir = Path.of(System.getProperty("bundlerRepoDir", ""));
        try (ZipFile ours = new ZipFile(jar.toFile())) {
            PatchEntry[] patches = parsePatches(text(ours, "META-INF/patches.list"));
            DownloadContext context = parseDownloadContext(text(ours, "META-INF/download-context"));
            if (patches.length > 0 && context == null) {
                throw new IllegalArgumentException("patches.list file found without a corresponding original-url file");
            }
            Path original = null;
            if (context != null) {
                download(context, repoDir);
                original = repoDir.resolve("cache").resolve(context.fileName());
            }
            if (original == null && patches.length > 0) throw new IllegalArgumentException("Patch data found without patch target");
            try (ZipFile originalJar = original == null ? null : new ZipFile(original.toFile())) {
                for (String list : new String[] {"versions", "libraries"}) {
                    FileEntry[] entries = parseFileEntries(text(ours, "META-INF/" + list + ".list"));
                    if (entries == null) continue;
                    for (FileEntry entry : entries) extract(entry, list, patches, ours, originalJar, repoDir);
                }
                applyPatches(patches, ours, originalJar, repoDir);
            } catch (IOException e) {
                throw fail("Failed to extract jar files", e);
            }
        }
        if (Boolean.getBoolean("paperclip.patchonly")) System.exit(0);
        String mainClass = System.getProperty("bundlerMainClass");
        if (mainClass == null) {
            try (ZipFile ours = new ZipFile(jar.toFile())) {
                mainClass = text(ours, "META-INF/main-class");
            }
        }
        System.out.println("Starting " + mainClass);
        if (mainClass == null) throw new NullPointerException("no main class (META-INF/main-class is missing)");
        return mainClass;
    }

    /** DownloadContext.download: kept when cache/<file> has its sha256; otherwise the network, which a first boot here never has. */
    private static void download(DownloadContext context, Path repoDir) throws IOException {
        Path output = repoDir.resolve("cache").resolve(context.fileName());
        if (Files.exists(output) && isValid(Files.readAllBytes(output), context.hash())) return;
        if (!Files.isDirectory(output.getParent())) Files.createDirectories(output.getParent());
        Files.deleteIfExists(output);
        System.out.println("Downloading " + context.fileName());
        System.err.println("Failed to download " + context.fileName());
        new IOException("stand-in Paperclip: no network (a first boot must find " + output + "), not fetching " + context.url()).printStackTrace();
        System.exit(1);
    }

    /** FileEntry.extractFile. */
    private static void extract(FileEntry entry, String list, PatchEntry[] patches, ZipFile ours, ZipFile original, Path repoDir) throws IOException {
        for (PatchEntry patch : patches) {
            if (patch.location().equals(list) && patch.outputPath().equals(entry.path())) return; // made by a patch
        }
        Path output = repoDir.resolve(list).resolve(entry.path());
        if (Files.exists(output) && isValid(Files.readAllBytes(output), entry.hash())) return;
        String name = "META-INF/" + list + "/" + entry.path();
        byte[] bytes = bytes(ours, name);
        if (bytes == null) {
            if (original == null) throw new IllegalStateException(entry.path() + " not found in our jar, and no original jar provided");
            bytes = bytes(original, name);
            if (bytes == null) throw new IllegalStateException(entry.path() + " not found in our jar or in the original jar");
        }
        if (!Files.isDirectory(output.getParent())) Files.createDirectories(output.getParent());
        Files.deleteIfExists(output);
        Files.write(output, bytes);
        if (!isValid(Files.readAllBytes(output), entry.hash())) throw new IllegalStateException("Hash check failed for extract filed " + output);
    }

    /** Paperclip.applyPatches: each patch once, "Applying patches" announced before the first that is not applied yet. */
    private static void applyPatches(PatchEntry[] patches, ZipFile ours, ZipFile original, Path repoDir) {
        boolean announced = false;
        try {
            for (PatchEntry patch : patches) {
                Path output = repoDir.resolve(patch.location()).resolve(patch.outputPath());
                if (Files.exists(output) && isValid(Files.readAllBytes(output), patch.outputHash())) continue;
                if (!announced) {
                    System.out.println("Applying patches");
                    announced = true;
                }
                applyPatch(patch, ours, original, output);
            }
        } catch (IOException e) {
            throw fail("Failed to apply patches", e);
        }
    }

    /** PatchEntry.applyPatch, past its already-applied short-cut. */
    private static void applyPatch(PatchEntry patch, ZipFile ours, ZipFile original, Path output) throws IOException {
        String inputFile = "/META-INF/" + patch.location() + "/" + patch.originalPath();
        byte[] input = bytes(original, inputFile.substring(1));
        if (input == null) throw new IllegalStateException("Input file not found: " + inputFile);
        if (!isValid(input, patch.originalHash())) throw new IllegalStateException("Hash check of input file failed for " + inputFile);
        String patchPath = "/META-INF/" + (patch.location().endsWith("/") ? patch.location() : patch.location() + "/") + patch.patchPath();
        byte[] patchBytes = bytes(ours, patchPath.substring(1));
        if (patchBytes == null) throw new IllegalStateException("Patch file not found: " + patchPath);
        if (!isValid(patchBytes, patch.patchHash())) throw new IllegalStateException("Hash check of patch file failed for " + patchPath);
        byte[] header = STANDIN_PATCH.getBytes(StandardCharsets.US_ASCII);
        if (patchBytes.length < header.length || !Arrays.equals(Arrays.copyOf(patchBytes, header.length), header)) {
            throw fail("Failed to patch " + inputFile, new IOException("not a stand-in patch (" + STANDIN_PATCH.trim() + " header missing)"));
        }
        if (!Files.isDirectory(output.getParent())) Files.createDirectories(output.getParent());
        Files.write(output, Arrays.copyOfRange(patchBytes, header.length, patchBytes.length));
        if (!isValid(Files.readAllBytes(output), patch.outputHash())) throw new IllegalStateException("Patch not applied correctly for " + patch.outputPath());
    }

    /** Util.fail: the message and its cause on stderr, exit 1. */
    private static RuntimeException fail(String message, Throwable err) {
        System.err.println(message);
        if (err != null) err.printStackTrace();
        System.exit(1);
        throw new InternalError();
    }

    // ---- The lists, parsed as Paperclip parses them.

    private static DownloadContext parseDownloadContext(String line) {
        if (line == null || line.isBlank()) return null;
        String[] parts = line.split("\t");
        if (parts.length != 3) throw new IllegalStateException("Invalid download-context line: " + line);
        return new DownloadContext(fromHex(parts[0]), parts[1], parts[2]);
    }

    private static PatchEntry[] parsePatches(String body) {
        List<PatchEntry> out = new ArrayList<>();
        for (String line : lines(body)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] p = line.split("\t");
            if (p.length != 7) throw new IllegalStateException("Invalid patch data line: " + line);
            out.add(new PatchEntry(p[0], fromHex(p[1]), fromHex(p[2]), fromHex(p[3]), p[4], p[5], p[6]));
        }
        return out.toArray(new PatchEntry[0]);
    }

    private static FileEntry[] parseFileEntries(String body) {
        if (body == null) return null;
        List<FileEntry> out = new ArrayList<>();
        for (String line : lines(body)) {
            String[] p = line.split("\t");
            if (p.length != 3) throw new IllegalStateException("Malformed library entry: " + line);
            out.add(new FileEntry(fromHex(p[0]), p[1], p[2]));
        }
        return out.toArray(new FileEntry[0]);
    }

    /** BufferedReader.readLine's lines. */
    private static List<String> lines(String body) {
        if (body == null || body.isEmpty()) return List.of();
        return new java.io.BufferedReader(new java.io.StringReader(body)).lines().toList();
    }

    /** Util.fromHex. */
    private static byte[] fromHex(String s) {
        if (s.length() % 2 != 0) throw new IllegalArgumentException("Length of hex " + s + " must be divisible by two");
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(s.charAt(i * 2), 16);
            int lo = Character.digit(s.charAt(i * 2 + 1), 16);
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("Cannot convert non-hex string: " + s);
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    private static boolean isValid(byte[] data, byte[] hash) {
        try {
            return Arrays.equals(hash, MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw fail("Could not create hashing instance", e);
        }
    }

    private static String text(ZipFile jar, String name) throws IOException {
        byte[] b = bytes(jar, name);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ZipFile jar, String name) throws IOException {
        ZipEntry e = jar.getEntry(name);
        if (e == null || e.isDirectory()) return null;
        try (InputStream in = jar.getInputStream(e)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
