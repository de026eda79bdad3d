package io.latentwatch.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Durable, atomic replacement of files and directories: what is renamed into place was forced to the device first,
 * and the rename itself is forced by syncing the parent directory. After a crash a reader finds the old content or
 * the new one, never a file that is named but empty or partly written. The one write path of the model directory,
 * the registry's files and its version directories, and the one way they delete a directory.
 */
public final class AtomicFiles {

    /** Prefix of the old copy of a directory while {@link #replaceDirectory} swaps it out. */
    static final String OLD = ".old-";
    /** Prefix of a directory being filled before its rename into place ({@link #stagingDirectory}). */
    private static final String STAGING = ".tmp-";
    /** Prefix of a directory renamed aside to be deleted ({@link #deleteDirectory}). */
    private static final String DELETING = ".deleting-";

    private static final LongAdder SYNCS = new LongAdder();

    private AtomicFiles() {}

    /**
     * Replaces {@code target} with {@code content}: written to a temporary sibling, forced, renamed over the target
     * in one step, then the directory forced so the rename survives a crash.
     */
    public static void write(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
                SYNCS.increment();
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** Forces a file's content and metadata to the device. */
    public static void syncFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
            SYNCS.increment();
        }
    }

    /**
     * Forces a directory's entries (files created, renamed or deleted in it) to the device. Platforms that cannot
     * open a directory as a channel (Windows) are skipped: there a rename is made durable by the file system itself.
     */
    public static void syncDirectory(Path dir) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try (channel) {
            channel.force(true);
            SYNCS.increment();
        } catch (IOException e) {
            // some platforms and file systems refuse fsync on a directory (EINVAL); nothing more can be done there
        }
    }

    /** Forces every regular file under {@code dir}, then each directory, the deepest first. */
    public static void syncTree(Path dir) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(dir)) {
            all = walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
        }
        for (Path p : all) {
            if (Files.isRegularFile(p)) {
                syncFile(p);
            }
        }
        for (Path p : all) {
            if (Files.isDirectory(p)) {
                syncDirectory(p);
            }
        }
    }

    /**
     * Renames a complete directory {@code fresh} into place as {@code target} (a sibling), forcing its files first.
     * An absent or empty target is replaced in one rename. A non-empty one is renamed aside ({@code .old-NAME-...}),
     * {@code fresh} renamed into place, and the old copy deleted: readers see the old directory or the new one,
     * never a mix (between the two renames the target is briefly absent; {@link #awaitReplacement} waits that out).
     * An interrupted swap is finished by the next call for the same target. One writer at a time per target (the
     * registry holds its lock; a model directory has one writer).
     */
    public static void replaceDirectory(Path fresh, Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        syncTree(fresh);
        recover(target);
        Path old = null;
        if (Files.isDirectory(target) && !isEmpty(target)) {
            old = parent.resolve(OLD + target.getFileName() + "-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE); // rename(2) replaces an empty directory in one step
        } catch (IOException e) {
            if (old != null && !Files.exists(target)) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // the old model stays
            }
            throw e;
        }
        syncDirectory(parent);
        if (old != null) {
            deleteTree(old);
        }
    }

    /**
     * Writes a directory of files as a whole: they go into a {@link #stagingDirectory}, which then takes the place of
     * {@code target} ({@link #replaceDirectory}); the staging directory is gone afterwards, whatever happened.
     *
     * @param files the directory's content: file name to bytes
     */
    public static void writeDirectory(Path target, Map<String, byte[]> files) throws IOException {
        Path fresh = stagingDirectory(target);
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(fresh.resolve(f.getKey()), f.getValue());
            }
            replaceDirectory(fresh, target);
        } finally {
            deleteTree(fresh);
        }
    }

    /**
     * A fresh, empty directory beside {@code target} ({@code .tmp-NAME-...}) to fill and then rename into place with
     * {@link #replaceDirectory}; the parent is created if missing. A caller that checks what it wrote before the rename
     * (the registry) fills one itself; {@link #writeDirectory} does both.
     */
    public static Path stagingDirectory(Path target) throws IOException {
        Path parent = target.toAbsolutePath().normalize().getParent();
        Files.createDirectories(parent);
        return Files.createDirectory(parent.resolve(STAGING + target.getFileName() + "-" + System.nanoTime()));
    }

    /**
     * Deletes a directory so that no reader meets it half deleted: it is renamed aside ({@code .deleting-NAME-...}) in
     * one step, then deleted. A crash in between leaves the renamed copy for {@link #deleteLeftovers}.
     */
    public static void deleteDirectory(Path dir) throws IOException {
        Path gone = dir.resolveSibling(DELETING + dir.getFileName() + "-" + System.nanoTime());
        Files.move(dir, gone, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(gone);
    }

    /**
     * Deletes what interrupted writes left in {@code dir}: staging directories and directories renamed aside for
     * deletion. Only for a directory whose writers take turns (the registry holds its lock): it would delete another
     * writer's staging directory too.
     */
    public static void deleteLeftovers(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(STAGING) || name.startsWith(DELETING)) {
                    deleteTree(p);
                }
            }
        }
    }

    /**
     * Waits, up to {@code maxMillis}, while {@code target} is absent because {@link #replaceDirectory} is between its
     * two renames; returns at once when it is there or no swap is under way.
     */
    public static void awaitReplacement(Path target, long maxMillis) throws IOException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        while (!Files.exists(target) && !oldCopies(target).isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** How many files and directories this JVM forced to the device (for tests and diagnostics). */
    public static long syncs() {
        return SYNCS.sum();
    }

    /** A swap that a crash interrupted: the target is gone and its old copy is beside it. Puts the old copy back. */
    private static void recover(Path target) throws IOException {
        List<Path> old = oldCopies(target);
        if (!Files.exists(target) && !old.isEmpty()) {
            Files.move(old.get(old.size() - 1), target, StandardCopyOption.ATOMIC_MOVE);
            old = old.subList(0, old.size() - 1);
        }
        for (Path p : old) {
            deleteTree(p);
        }
    }

    private static List<Path> oldCopies(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        String prefix = OLD + target.getFileName() + "-";
        try (Stream<Path> entries = Files.list(parent)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().collect(Collectors.toList());
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    /** Deletes a directory and everything under it (absent is fine). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        }
    }
}
