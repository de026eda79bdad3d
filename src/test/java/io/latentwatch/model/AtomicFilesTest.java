package io.latentwatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one durable write path (issue 11, point 9): files and their directory are forced to the device before and
 * after a rename, and a directory is replaced as a whole. The forcing is counted by {@link AtomicFiles#syncs()}: a
 * page cache cannot be observed losing data from inside the JVM, so the tests check that each write goes through it.
 */
class AtomicFilesTest {

    @TempDir Path tmp;

    private List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void aFileIsForcedThenRenamedOverTheOldOneAndItsDirectoryForced() throws Exception {
        Path target = tmp.resolve("registry.json");
        Files.writeString(target, "old");
        long before = AtomicFiles.syncs();
        AtomicFiles.write(target, "new".getBytes(StandardCharsets.UTF_8));
        assertTrue(AtomicFiles.syncs() - before >= 2, "the file and its directory forced: " + (AtomicFiles.syncs() - before));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of("registry.json"), names(tmp), "no temporary file left");
    }

    @Test
    void aModelDirectoryIsForcedFileByFileBeforeItsRename() throws Exception {
        Path out = tmp.resolve("model");
        PyTorchImport.importModel(io.latentwatch.Fixtures.dir("gray32-small").resolve("weights.safetensors"),
                io.latentwatch.Fixtures.dir("gray32-small").resolve("config.json"), out);
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            ModelDirectory.Loaded m = ModelDirectory.read(out, manager);
            long before = AtomicFiles.syncs();
            ModelDirectory.write(out, m.model, m.metadata); // over the existing directory
            // weights, model.json, the new directory, and the parent after the rename
            assertTrue(AtomicFiles.syncs() - before >= 4, "forced: " + (AtomicFiles.syncs() - before));
        }
        assertEquals(List.of(ModelDirectory.MODEL_JSON, ModelDirectory.WEIGHTS), names(out));
        assertEquals(List.of("model"), names(tmp), "no temporary or old copy left");
    }

    @Test
    void aSwapThatACrashInterruptedIsFinishedByTheNextWrite() throws Exception {
        // what a crash between the two renames leaves: the target gone, its old copy beside it
        Path target = tmp.resolve("model");
        Path old = tmp.resolve(AtomicFiles.OLD + "model-123");
        Files.createDirectories(old);
        Files.writeString(old.resolve("a"), "old");
        Path fresh = tmp.resolve("fresh");
        Files.createDirectories(fresh);
        Files.writeString(fresh.resolve("a"), "new");
        AtomicFiles.replaceDirectory(fresh, target);
        assertEquals("new", Files.readString(target.resolve("a")));
        assertEquals(List.of("model"), names(tmp));
        assertFalse(Files.exists(old));
    }

    @Test
    void aDirectoryIsWrittenAsAWholeAndDeletedAfterARenameAside() throws Exception {
        Path target = tmp.resolve("v000001");
        AtomicFiles.writeDirectory(target, Map.of("a", "1".getBytes(StandardCharsets.UTF_8), "b", "2".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("a", "b"), names(target));
        assertEquals(List.of("v000001"), names(tmp), "no staging directory left");

        // what interrupted writes leave: a staging directory and one renamed aside for deletion
        Path staged = AtomicFiles.stagingDirectory(tmp.resolve("v000002"));
        Files.writeString(staged.resolve("a"), "half");
        assertTrue(staged.getFileName().toString().startsWith(".tmp-v000002-"), staged.toString());
        AtomicFiles.deleteLeftovers(tmp);
        assertEquals(List.of("v000001"), names(tmp));

        AtomicFiles.deleteDirectory(target);
        assertEquals(List.of(), names(tmp));
    }
}
