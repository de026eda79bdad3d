package io.latentwatch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.latentwatch.Fixtures;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.model.PyTorchImport;
import io.latentwatch.tuning.GateDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions written atomically, refused when corrupted, pinned, rolled back and pruned; all of it survives a reopen. */
class ModelRegistryTest {

    @TempDir Path tmp;
    private NDManager manager;
    private DipVae network;
    private Path registryDir;

    @BeforeEach
    void setUp() throws Exception {
        Path initial = tmp.resolve("initial");
        PyTorchImport.importModel(Fixtures.dir("gray32-small").resolve("weights.safetensors"),
                Fixtures.dir("gray32-small").resolve("config.json"), initial);
        manager = NDManager.newBaseManager(Device.cpu());
        network = ModelDirectory.read(initial, manager).model;
        registryDir = tmp.resolve("registry");
        ModelUpdate first = open(10).adopt(initial);
        assertTrue(first.accepted());
        assertEquals(1L, first.version());
        assertNull(first.parentVersion());
        assertTrue(first.reason().startsWith("initial model from "), first.reason());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ModelRegistry open(int keepLast) {
        return ModelRegistry.builder().setRoot(registryDir).optKeepLast(keepLast).build();
    }

    static GateDecision accepted(double threshold) {
        JsonObject c = new JsonObject();
        c.addProperty("score", "mse");
        c.addProperty("threshold", threshold);
        c.addProperty("quantile", 0.99);
        c.addProperty("frames", 60);
        c.addProperty("false_alarm_rate", 0.01);
        return new GateDecision(true, "test: accepted", 0.03, 0.02, 0.028, 0.029, 60, 20, threshold, c);
    }

    /** The network as a fine-tune of {@code parent} that the gate decided about, the decision carried out. */
    private ModelUpdate register(ModelRegistry registry, ModelMetadata parent, GateDecision decision, JsonObject summary) {
        return decision.apply(registry, network, parent, summary);
    }

    /** Registers the network as a fine-tune of the serving version; returns the new version. */
    private long registerNext(ModelRegistry registry) throws Exception {
        ModelMetadata parent = registry.serving().orElseThrow().metadata();
        JsonObject summary = new JsonObject();
        summary.addProperty("source", "latentwatch fine-tune");
        ModelUpdate u = register(registry, parent, accepted(0.05 + parent.version()), summary);
        assertTrue(u.accepted(), u.reason());
        return u.version();
    }

    /** Issue 11, point 9: a registered version, registry.json and the reference set are forced to the device before they count. */
    @Test
    void everyWriteIsForcedToTheDeviceBeforeItsRename() throws Exception {
        ModelRegistry registry = open(10);
        long before = io.latentwatch.model.AtomicFiles.syncs();
        registerNext(registry);
        // weights, model.json, the version directory, the registry directory after the rename, registry.json and its directory
        assertTrue(io.latentwatch.model.AtomicFiles.syncs() - before >= 6, "forced: " + (io.latentwatch.model.AtomicFiles.syncs() - before));
        before = io.latentwatch.model.AtomicFiles.syncs();
        registry.pin(1);
        assertTrue(io.latentwatch.model.AtomicFiles.syncs() - before >= 2, "registry.json and its directory");
        before = io.latentwatch.model.AtomicFiles.syncs();
        registry.writeReferenceFrames(List.of(new float[1024], new float[1024]));
        assertTrue(io.latentwatch.model.AtomicFiles.syncs() - before >= 4, "reference.safetensors, registry.json and their directory");
        assertFalse(directoryNames().stream().anyMatch(n -> n.startsWith(".tmp") || n.endsWith(".tmp")), "no temporary left: " + directoryNames());
    }

    private List<String> directoryNames() throws Exception {
        try (Stream<Path> s = Files.list(registryDir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void anAcceptedCandidateBecomesTheNextVersionWithItsParentAndCalibration() throws Exception {
        ModelRegistry registry = open(10);
        ModelMetadata parent = registry.serving().orElseThrow().metadata();
        ModelUpdate u = register(registry, parent, accepted(0.0421), new JsonObject());
        assertTrue(u.accepted(), u.reason());
        assertEquals(2L, u.version());
        assertEquals(1L, u.parentVersion());
        assertEquals(registryDir.resolve("v000002").toAbsolutePath().toString(), u.path());
        assertEquals(0.03, u.valLossBefore());
        assertEquals(0.02, u.valLossAfter());
        assertEquals(List.of(".lock", "registry.json", "v000001", "v000002"), directoryNames(), "no temporary directory is left behind");

        RegisteredModel v2 = registry.get(2);
        assertEquals(u.sha256(), v2.metadata().sha256());
        assertEquals(ModelDirectory.sha256(Files.readAllBytes(v2.path().resolve(ModelDirectory.WEIGHTS))), u.sha256());
        assertEquals(u.createdAt(), v2.metadata().createdAt());
        assertEquals(1L, v2.metadata().parentVersion());
        assertEquals(0.0421, v2.metadata().threshold());
        assertEquals("test: accepted", v2.metadata().training().getAsJsonObject("validation").get("reason").getAsString());
        assertEquals(2, registry.latest().orElseThrow().version());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(2, registry.loadServing(m).metadata.version(), "the full load accepts what was written");
        }
    }

    @Test
    void aVersionCorruptedAfterWritingIsRefusedAndTheRegistryFallsBack() throws Exception {
        ModelRegistry registry = open(10);
        registerNext(registry);
        Path weights = registry.path(2).resolve(ModelDirectory.WEIGHTS);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length / 2] ^= 0x01; // one bit of one weight
        Files.write(weights, bytes);

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> registry.get(2));
        assertTrue(e.getMessage().contains("sha256 of weights.safetensors is "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(file changed or corrupted)"), e.getMessage());
        assertEquals(1, registry.latest().orElseThrow().version());
        assertEquals(1, registry.serving().orElseThrow().version());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            assertEquals(1, registry.loadServing(m).metadata.version());
            assertThrows(ModelFormatException.class, () -> registry.load(2, m));
        }
        RegistryEntry v2 = registry.list().get(1);
        assertFalse(v2.valid());
        assertEquals("refused", v2.status());
        assertTrue(v2.problem().contains("sha256"), v2.problem());
        assertEquals("serving", registry.list().get(0).status());

        // a candidate fine-tuned from the corrupted version is not registered on top of the fallback
        ModelMetadata corrupted = ModelDirectory.readMetadata(registry.path(2));
        ModelUpdate refused = register(registry, corrupted, accepted(0.1), null);
        assertFalse(refused.accepted());
        assertEquals("the candidate's parent, version 2, is no longer served (now version 1)", refused.reason());
    }

    @Test
    void aRegistryWithOnlyRefusedVersionsSaysSo() throws Exception {
        ModelRegistry registry = open(10);
        Files.delete(registry.path(1).resolve(ModelDirectory.WEIGHTS));
        assertTrue(registry.latest().isEmpty());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> registry.loadServing(m));
            assertTrue(e.getMessage().contains("has no version that can be served: version 1: model "), e.getMessage());
            assertTrue(e.getMessage().endsWith("has no weights.safetensors"), e.getMessage());
        }
    }

    @Test
    void pinAndRollbackPersistAcrossInstances() throws Exception {
        ModelRegistry registry = open(10);
        registerNext(registry);
        registerNext(registry);
        ModelUpdate pin = registry.pin(2);
        assertTrue(pin.accepted());
        assertEquals(2L, pin.version());
        assertEquals("pinned by an operator: version 2 is served until unpinned", pin.reason());

        ModelRegistry reopened = open(10);
        assertEquals(2, reopened.pinned().orElseThrow());
        assertEquals(2, reopened.serving().orElseThrow().version());
        assertEquals(3, reopened.latest().orElseThrow().version(), "latest ignores the pin");
        ModelUpdate whilePinned = register(reopened, reopened.serving().orElseThrow().metadata(), accepted(0.1), null);
        assertFalse(whilePinned.accepted());
        assertEquals("registry is pinned to version 2; candidates are refused until it is unpinned", whilePinned.reason());
        IllegalArgumentException busy = assertThrows(IllegalArgumentException.class, () -> reopened.rollback(1));
        assertTrue(busy.getMessage().endsWith("is pinned to version 2; unpin it first (or pin the version to serve)"), busy.getMessage());

        assertEquals(3L, reopened.unpin().version());
        ModelUpdate rollback = reopened.rollback(1);
        assertEquals(1L, rollback.version());
        assertEquals("rolled back by an operator to version 1 (withdrew 2, 3)", rollback.reason());

        ModelRegistry third = open(10);
        assertTrue(third.pinned().isEmpty());
        assertEquals(1, third.latest().orElseThrow().version());
        assertEquals(List.of("serving", "retired", "retired"), third.list().stream().map(RegistryEntry::status).collect(Collectors.toList()));
        // fine-tuning continues from version 1; the number is new, the retired versions go
        ModelUpdate next = register(third, third.serving().orElseThrow().metadata(), accepted(0.1), null);
        assertEquals(4L, next.version());
        assertEquals(1L, next.parentVersion());
        assertEquals(List.of(1L, 4L), third.versions());
        assertEquals(List.of(".lock", "registry.json", "v000001", "v000004"), directoryNames());
    }

    @Test
    void keepLastDeletesOldVersionsButNeverThePinnedOrServingOne() throws Exception {
        ModelRegistry registry = open(2);
        for (int i = 0; i < 4; i++) {
            registerNext(registry);
        }
        assertEquals(List.of(4L, 5L), registry.versions(), "the two newest");
        registry.pin(4);
        ModelRegistry one = open(1);
        one.prune();
        assertEquals(List.of(4L, 5L), one.versions(), "5 is the newest, 4 is pinned");
        one.unpin();
        one.rollback(4);
        one.prune();
        assertEquals(List.of(4L), one.versions(), "5 was retired; 4 is served");
        assertEquals(4, one.serving().orElseThrow().version());
        assertEquals(6L, registerNext(one), "version numbers are never reused, not even a pruned one");
    }

    @Test
    void theReferenceSetIsStoredOnceAndCheckedOnRead() throws Exception {
        ModelRegistry registry = open(10);
        assertTrue(registry.referenceFrames().isEmpty());
        List<float[]> frames = List.of(new float[] {0.5f, -1f, 1f}, new float[] {0f, 0.25f, -0.75f});
        registry.writeReferenceFrames(frames);
        List<float[]> read = open(10).referenceFrames().orElseThrow();
        assertEquals(2, read.size());
        for (int i = 0; i < 2; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(frames.get(i), read.get(i));
        }
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> registry.writeReferenceFrames(frames));
        assertTrue(twice.getMessage().endsWith("already holds a reference set; it is fixed once written"), twice.getMessage());
        Path file = registryDir.resolve(ModelRegistry.REFERENCE);
        byte[] b = Files.readAllBytes(file);
        b[b.length - 2] ^= 0x10;
        Files.write(file, b);
        ModelFormatException e = assertThrows(ModelFormatException.class, registry::referenceFrames);
        assertTrue(e.getMessage().contains("sha256 of reference.safetensors is ") && e.getMessage().endsWith("(file changed or corrupted)"),
                e.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.builder().setRoot(tmp.resolve("other")).build().writeReferenceFrames(List.<float[]>of(new float[] {Float.NaN})));
        assertEquals("reference frame 0 holds NaN (frames must be finite)", nan.getMessage());
    }

    @Test
    void adoptAndLookupsRefuseWhatTheyCannotDo() throws Exception {
        ModelRegistry registry = open(10);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> registry.adopt(registry.path(1)));
        assertTrue(twice.getMessage().endsWith("already holds versions [1]; the initial model is adopted into an empty registry only"),
                twice.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> registry.get(7));
        assertTrue(missing.getMessage().endsWith("has no version 7"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> registry.pin(7));
        IllegalStateException notPinned = assertThrows(IllegalStateException.class, registry::unpin);
        assertTrue(notPinned.getMessage().endsWith("is not pinned"), notPinned.getMessage());
        ModelUpdate rejected = register(registry, registry.get(1).metadata(),
                new GateDecision(false, "held-out loss regressed", 0.02, Double.NaN, 0.03, Double.NaN, 60, 20, Double.NaN, null), null);
        assertFalse(rejected.accepted());
        assertEquals("held-out loss regressed", rejected.reason());
        assertEquals(List.of(1L), registry.versions());
    }

    /** The registry writes what an acceptance brings, as it is: how the candidate was judged is its judge's business. */
    @Test
    void anAcceptanceIsWrittenAsItIs() throws Exception {
        ModelRegistry registry = open(10);
        JsonObject calibration = new JsonObject();
        calibration.addProperty("score", "mse");
        calibration.addProperty("threshold", 0.07);
        JsonObject training = new JsonObject();
        training.addProperty("source", "elsewhere");
        ModelUpdate u = registry.register(network, registry.get(1).metadata(), new Acceptance(calibration, training, "judged fit", 0.5, Double.NaN));
        assertTrue(u.accepted(), u.reason());
        assertEquals("judged fit", u.reason());
        assertEquals(0.5, u.valLossBefore());
        assertNull(u.valLossAfter(), "a loss that was not measured is written as null");
        ModelMetadata v2 = registry.get(2).metadata();
        assertEquals(0.07, v2.threshold());
        assertEquals(training, v2.training(), "no validation object added by the registry");
    }
}
