package io.latentwatch.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.Fixtures;
import io.latentwatch.model.SafeTensors.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Model directory round trip, and every refusal with its message. */
class ModelDirectoryTest {

    private static final String FIXTURE = "gray32-small";

    @TempDir Path tmp;

    private Path importFixture() throws Exception {
        Path out = tmp.resolve("model");
        PyTorchImport.importModel(Fixtures.dir(FIXTURE).resolve("weights.safetensors"), Fixtures.dir(FIXTURE).resolve("config.json"), out);
        return out;
    }

    @Test
    void savedWeightsCarryExactlyThePyTorchNamesAndShapes() throws Exception {
        Path dir = importFixture();
        Map<String, Tensor> original = SafeTensors.read(Files.readAllBytes(Fixtures.dir(FIXTURE).resolve("weights.safetensors")), "fixture");
        Map<String, Tensor> written = SafeTensors.read(Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS)), "written");
        assertEquals(original.keySet(), written.keySet());
        for (String name : original.keySet()) {
            assertArrayEquals(original.get(name).shape, written.get(name).shape, name);
            assertEquals(original.get(name).dtype, written.get(name).dtype, name);
            assertEquals(original.get(name).data, written.get(name).data, name + " values");
        }
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve(ModelDirectory.MODEL_JSON))).getAsJsonObject();
        assertEquals("latentwatch-dipvae/1", json.get("format").getAsString());
        assertEquals(1, json.get("version").getAsLong());
        assertTrue(json.get("parent_version").isJsonNull());
        assertEquals(ModelDirectory.sha256(Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS))), json.get("sha256").getAsString());
        assertEquals("mse", json.getAsJsonObject("calibration").get("score").getAsString());
    }

    @Test
    void saveLoadGivesIdenticalOutputs() throws Exception {
        Path dir = importFixture();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = Fixtures.load(manager, FIXTURE, "frames.safetensors").get("x");
            ModelDirectory.Loaded first = ModelDirectory.read(dir, manager);
            Path again = tmp.resolve("again");
            ModelDirectory.write(again, first.model, first.metadata);
            ModelDirectory.Loaded second = ModelDirectory.read(again, manager);
            NDList a = first.model.forward(new ParameterStore(manager, false), new NDList(x), false);
            NDList b = second.model.forward(new ParameterStore(manager, false), new NDList(x), false);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(a.get(i).toFloatArray(), b.get(i).toFloatArray(), "output " + i);
            }
            assertEquals(first.metadata.config(), second.metadata.config());
            assertArrayEquals(Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS)), Files.readAllBytes(again.resolve(ModelDirectory.WEIGHTS)));
        }
    }

    /** One check of the weights against model.json: read or verified (cached), with the same refusals. */
    @Test
    void weightsAreCheckedAgainstModelJsonWhetherReadOrVerified() throws Exception {
        Path dir = importFixture();
        ModelMetadata meta = ModelDirectory.readMetadata(dir);
        Path weights = dir.resolve(ModelDirectory.WEIGHTS);
        assertArrayEquals(Files.readAllBytes(weights), ModelDirectory.readWeights(dir, meta));
        FileHashes hashes = new FileHashes();
        ModelDirectory.verifyWeights(dir, meta, hashes);
        assertEquals(meta.sha256(), hashes.sha256(weights));

        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(bytes, bytes.length + 1)); // another size: hashed again
        for (Executable check : List.<Executable>of(
                () -> ModelDirectory.readWeights(dir, meta), () -> ModelDirectory.verifyWeights(dir, meta, hashes))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, check);
            assertEquals("model " + dir + ": sha256 of weights.safetensors is " + ModelDirectory.sha256(Files.readAllBytes(weights))
                    + " but model.json says " + meta.sha256() + " (file changed or corrupted)", e.getMessage());
        }
        Files.delete(weights);
        ModelFormatException gone = assertThrows(ModelFormatException.class, () -> ModelDirectory.verifyWeights(dir, meta, hashes));
        assertEquals("model " + dir + " has no weights.safetensors", gone.getMessage());
        ModelFormatException unread = assertThrows(ModelFormatException.class, () -> ModelDirectory.readWeights(dir, meta));
        assertEquals("model " + dir + " has no weights.safetensors", unread.getMessage());
    }

    /**
     * Issue 11, point 9: a model directory written over an existing one changes as a whole. While one thread writes
     * two different models over the same directory in turn, a reader only ever gets one of them complete: never
     * model.json of one with the weights of the other (a sha256 refusal), never a missing file.
     */
    @Test
    void writingOverAnExistingModelReplacesItAsAWhole() throws Exception {
        Path dir = importFixture();
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelDirectory.Loaded a = ModelDirectory.read(dir, manager);
            ModelMetadata metaA = a.metadata;
            Map<String, Tensor> changed = new LinkedHashMap<>(DipVaeWeights.export(a.model));
            float[] bias = changed.get("fc_mu.bias").floats();
            bias[0] += 1;
            changed.put("fc_mu.bias", Tensor.f32(changed.get("fc_mu.bias").shape, bias));
            DipVae b = new DipVae(metaA.config()).initialize(manager);
            DipVaeWeights.load(b, changed, "changed");
            ModelMetadata metaB = ModelDirectory.write(tmp.resolve("b"), b,
                    new ModelMetadata(2, 1L, metaA.createdAt(), metaA.config(), metaA.calibration(), metaA.training(), null));
            ModelDirectory.write(dir, a.model, metaA);

            java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicReference<Throwable> writerFailed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 150; i++) {
                        ModelDirectory.write(dir, i % 2 == 0 ? b : a.model, i % 2 == 0 ? metaB : metaA);
                    }
                } catch (Throwable e) {
                    writerFailed.set(e);
                } finally {
                    writing.set(false);
                }
            }, "model-writer");
            writer.start();
            int reads = 0;
            java.util.List<String> mixed = new java.util.ArrayList<>();
            while (writing.get()) {
                try (NDManager each = manager.newSubManager()) {
                    ModelDirectory.Loaded seen = ModelDirectory.read(dir, each);
                    String expected = seen.metadata.version() == 2 ? metaB.sha256() : metaA.sha256();
                    if (!expected.equals(seen.metadata.sha256())) {
                        mixed.add("version " + seen.metadata.version() + " with sha256 " + seen.metadata.sha256());
                    }
                } catch (ModelFormatException e) {
                    mixed.add(e.getMessage());
                }
                reads++;
            }
            writer.join();
            assertEquals(null, writerFailed.get(), "the writer failed");
            assertTrue(reads > 10, "the reader ran alongside the writer: " + reads + " reads");
            assertTrue(mixed.isEmpty(), mixed.size() + " of " + reads + " reads saw a mix or nothing, the first: " + (mixed.isEmpty() ? "" : mixed.get(0)));
            assertEquals(metaA.sha256(), ModelDirectory.readMetadata(dir).sha256(), "the last model written");
            try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
                assertEquals(java.util.List.of("b", "model"), left.map(p -> p.getFileName().toString()).sorted().collect(java.util.stream.Collectors.toList()),
                        "no temporary or old copy left beside the directory");
            }
        }
    }

    private String refusal(Path dir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            return assertThrows(ModelFormatException.class, () -> ModelDirectory.read(dir, manager)).getMessage();
        }
    }

    /** Rewrites the weights with a change and a matching sha256, so that only the change is wrong. */
    private Path withWeights(Consumer<Map<String, Tensor>> change) throws Exception {
        Path dir = importFixture();
        Map<String, Tensor> t = new LinkedHashMap<>(SafeTensors.read(Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS)), "w"));
        change.accept(t);
        byte[] bytes = SafeTensors.write(t);
        Files.write(dir.resolve(ModelDirectory.WEIGHTS), bytes);
        ModelMetadata meta = ModelDirectory.readMetadata(dir).withSha256(ModelDirectory.sha256(bytes));
        Files.writeString(dir.resolve(ModelDirectory.MODEL_JSON), meta.toJson());
        return dir;
    }

    @Test
    void refusesATruncatedFile() throws Exception {
        Path dir = importFixture();
        byte[] bytes = Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS));
        byte[] cut = Arrays.copyOf(bytes, bytes.length - 1000);
        Files.write(dir.resolve(ModelDirectory.WEIGHTS), cut);
        ModelMetadata meta = ModelDirectory.readMetadata(dir).withSha256(ModelDirectory.sha256(cut));
        Files.writeString(dir.resolve(ModelDirectory.MODEL_JSON), meta.toJson());
        String m = refusal(dir);
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void refusesAShaMismatch() throws Exception {
        Path dir = importFixture();
        byte[] bytes = Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS));
        bytes[bytes.length - 1] ^= 1; // one flipped bit in the last weight
        Files.write(dir.resolve(ModelDirectory.WEIGHTS), bytes);
        String m = refusal(dir);
        assertTrue(m.contains("sha256") && m.contains("model.json says"), m);
    }

    @Test
    void refusesAMissingTensor() throws Exception {
        String m = refusal(withWeights(t -> t.remove("fc_mu.weight")));
        assertTrue(m.contains("lacks tensor 'fc_mu.weight'"), m);
    }

    @Test
    void refusesAnUnexpectedTensor() throws Exception {
        String m = refusal(withWeights(t -> t.put("encoder.9.0.weight", Tensor.f32(new long[] {1}, new float[] {1}))));
        assertTrue(m.contains("does not use") && m.contains("encoder.9.0.weight"), m);
    }

    @Test
    void refusesAShapeThatDoesNotFitTheConfig() throws Exception {
        String m = refusal(withWeights(t -> t.put("fc_mu.weight", Tensor.f32(new long[] {16, 1024}, new float[16 * 1024]))));
        assertTrue(m.contains("'fc_mu.weight' has shape [16, 1024]") && m.contains("needs [16, 2048]"), m);
    }

    @Test
    void refusesAWrongDtype() throws Exception {
        String m = refusal(withWeights(t -> {
            Tensor w = t.get("fc_mu.bias");
            ByteBuffer b = ByteBuffer.allocate(16 * 8).order(ByteOrder.LITTLE_ENDIAN);
            t.put("fc_mu.bias", new Tensor("I64", w.shape, b));
        }));
        assertTrue(m.contains("'fc_mu.bias' is I64, expected F32"), m);
    }

    @Test
    void refusesNaNAndInfinity() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            String m = refusal(withWeights(t -> {
                float[] v = t.get("decoder_input.bias").floats();
                v[7] = bad;
                t.put("decoder_input.bias", Tensor.f32(t.get("decoder_input.bias").shape, v));
            }));
            assertTrue(m.contains("'decoder_input.bias' holds " + bad + " at flat index 7"), m);
        }
    }

    @Test
    void refusesAMissingFileAndABadModelJson() throws Exception {
        Path dir = importFixture();
        Files.delete(dir.resolve(ModelDirectory.WEIGHTS));
        assertTrue(refusal(dir).contains("has no weights.safetensors"));
        Path other = importFixture().resolveSibling("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve(ModelDirectory.MODEL_JSON), "{\"format\": \"something-else\"}");
        String m = refusal(other);
        assertTrue(m.contains("format is \"something-else\""), m);
    }

    @Test
    void aRefusedFileLeavesTheModelAsItWas() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(importFixture(), manager);
            float[] before = loaded.model.stateDict().get("fc_mu.bias").getArray().toFloatArray();
            Map<String, Tensor> t = new LinkedHashMap<>(DipVaeWeights.export(loaded.model));
            t.put("fc_mu.bias", Tensor.f32(new long[] {16}, new float[16]));
            t.remove("final_layer.3.weight");
            assertThrows(ModelFormatException.class, () -> DipVaeWeights.load(loaded.model, t, "bad"));
            assertArrayEquals(before, loaded.model.stateDict().get("fc_mu.bias").getArray().toFloatArray());
        }
    }

    @Test
    void configRefusesUnknownKeysAndBadShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DipVaeConfig.fromJson("{\"in_channels\":1,\"image_size\":32,\"latent_dim\":16,\"hidden_dims\":[32],\"lamda_diag\":1}"));
        assertTrue(e.getMessage().contains("unknown key \"lamda_diag\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DipVaeConfig.fromJson("{\"in_channels\":1,\"image_size\":30,\"latent_dim\":16,\"hidden_dims\":[32,64]}"));
        assertTrue(e.getMessage().contains("image_size 30 must be a positive multiple of 2^len(hidden_dims) = 4"), e.getMessage());
    }

    @Test
    void defaultConfigCostsTheIssuesFlopsPerFrame() {
        assertEquals(0.105, DipVaeConfig.defaults().flopsPerFrame() / 1e9, 0.001);
    }

    @Test
    void headerIsPaddedAndKeysSorted() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("b", Tensor.f32(new long[] {1}, new float[] {2}));
        t.put("a", Tensor.f32(new long[] {1}, new float[] {1}));
        byte[] bytes = SafeTensors.write(t);
        long header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, header % 8);
        String json = new String(bytes, 8, (int) header, StandardCharsets.UTF_8);
        assertTrue(json.indexOf("\"a\"") < json.indexOf("\"b\""), json);
    }
}
