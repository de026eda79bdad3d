package io.latentwatch.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.model.ReconstructionMap;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The maps of the model `latentwatch train` writes (the tests' camera model), as a scorer serves them. */
class AnomalyMapsOfATrainedModelTest {

    private static final int SIZE = TestModels.SIZE;
    /** Scenes the model was neither trained nor calibrated on. */
    private static final long FRESH = 2_000_000;

    @TempDir Path tmp;

    private static ServedModel load(Path dir) throws IOException {
        return ServedModel.load(dir, Device.cpu(), DataType.FLOAT32, ModelDirectory.readMetadata(dir).config(), null);
    }

    private static FrameScore[] score(ServedModel model, AnomalyKind kind, int count, CameraFrame[] frames) {
        SyntheticCamera camera = TestModels.camera().build();
        float[] pixels = new float[count * SIZE * SIZE];
        for (int i = 0; i < count; i++) {
            frames[i] = camera.frame(FRESH + i, kind);
            System.arraycopy(frames[i].normalise(1, SIZE), 0, pixels, i * SIZE * SIZE, SIZE * SIZE);
        }
        return model.scorer.score(pixels, count);
    }

    @Test
    void theModelDirectoryHoldsItsPixelStatisticsAndCalibratedMap() throws IOException {
        Path dir = TestModels.detector();
        JsonObject map = ModelDirectory.readMetadata(dir).calibration().getAsJsonObject("map");
        assertNotNull(map, "calibration.map");
        assertEquals("l2", map.get("kind").getAsString());
        assertTrue(map.get("threshold").getAsDouble() > 0, map.toString());
        assertEquals(ModelDirectory.sha256(Files.readAllBytes(dir.resolve(ModelDirectory.PIXEL_STATS))),
                map.get(ModelDirectory.PIXEL_STATS_SHA256).getAsString());
    }

    /**
     * The tests' model is small (32 × 32 gray, trained in seconds) and sees few foreign objects (SyntheticCameraModel):
     * what it must show is that an object pulls the map's peak onto itself. The same scenes without the object are
     * the baseline: their peaks fall in the object's box only by chance.
     */
    @Test
    void aForeignObjectPullsTheMapsPeakIntoItsGroundTruthBox() throws IOException {
        int n = 60;
        CameraFrame[] frames = new CameraFrame[n];
        int inside = 0;
        int cleanInside = 0;
        try (ServedModel model = load(TestModels.detector())) {
            FrameScore[] scores = score(model, AnomalyKind.FOREIGN_OBJECT, n, frames);
            FrameScore[] clean = score(model, AnomalyKind.NONE, n, new CameraFrame[n]);
            for (int i = 0; i < n; i++) {
                Rectangle box = frames[i].region();
                // the box is in the camera's pixels, which are the model's here; smoothing may move a peak by a pixel
                Rectangle near = new Rectangle(box.x - 1, box.y - 1, box.width + 2, box.height + 2);
                int[] peak = scores[i].map.peak();
                int[] cleanPeak = clean[i].map.peak();
                inside += near.contains(peak[0], peak[1]) ? 1 : 0;
                cleanInside += near.contains(cleanPeak[0], cleanPeak[1]) ? 1 : 0;
            }
        }
        assertTrue(inside >= 0.3 * n && inside >= 1.5 * cleanInside,
                inside + " of " + n + " foreign objects' maps peak inside their box, " + cleanInside + " of the same scenes without them");
    }

    /**
     * Where the reconstruction is the clean scene (what a model that never learnt foreign objects would give at best),
     * the smoothed map of a frame with an object peaks inside the object's box: the map's maths, on the camera's own
     * 64 × 64 colour frames.
     */
    @Test
    void againstItsCleanSceneAForeignObjectsMapPeaksInsideItsBox() {
        SyntheticCamera camera = SyntheticCamera.builder().build();
        int n = 40;
        int s = camera.imageSize();
        int inside = 0;
        ReconstructionMap l2 = new ReconstructionMap(ReconstructionMap.Kind.L2, MapCalibration.DEFAULT_SIGMA);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (int i = 0; i < n; i++) {
                CameraFrame object = camera.frame(FRESH + i, AnomalyKind.FOREIGN_OBJECT);
                CameraFrame clean = camera.frame(FRESH + i, AnomalyKind.NONE);
                Shape shape = new Shape(1, 3, s, s);
                float[] map = l2.apply(m.create(clean.normalise(3, s), shape), m.create(object.normalise(3, s), shape)).toFloatArray();
                int[] peak = new AnomalyMap(s, map, Double.NaN).peak();
                inside += object.region().contains(peak[0], peak[1]) ? 1 : 0;
            }
        }
        assertTrue(inside >= 0.95 * n, inside + " of " + n);
    }

    @Test
    void normalFramesHaveNoRegionAboveTheCalibratedThreshold() throws IOException {
        int n = 200;
        try (ServedModel model = load(TestModels.detector())) {
            FrameScore[] scores = score(model, AnomalyKind.NONE, n, new CameraFrame[n]);
            int withRegion = 0;
            for (FrameScore s : scores) {
                withRegion += s.map.region() != null ? 1 : 0;
            }
            // calibrated to leave 1 % of normal frames with a pixel above it
            assertTrue(withRegion <= 0.05 * n, withRegion + " of " + n + " normal frames have a region");
        }
    }

    @Test
    void aModelDirectoryWithoutMapStatisticsStillLoadsAndScoresWithItsOwnScore() throws IOException {
        Path old = tmp.resolve("old");
        Path dir = TestModels.detector();
        Files.createDirectories(old);
        ModelMetadata meta = ModelDirectory.readMetadata(dir);
        JsonObject calibration = meta.calibration();
        calibration.remove("map");
        Files.copy(dir.resolve(ModelDirectory.WEIGHTS), old.resolve(ModelDirectory.WEIGHTS));
        Files.writeString(old.resolve(ModelDirectory.MODEL_JSON), meta.withCalibration(calibration).toJson(), StandardCharsets.UTF_8);
        int n = 8;
        try (ServedModel withMaps = load(dir); ServedModel without = load(old)) {
            assertNull(without.scorer.getMaps());
            FrameScore[] a = score(withMaps, AnomalyKind.SCRATCH, n, new CameraFrame[n]);
            FrameScore[] b = score(without, AnomalyKind.SCRATCH, n, new CameraFrame[n]);
            for (int i = 0; i < n; i++) {
                assertNull(b[i].map);
                assertEquals(meta.scoreName(), without.scorer.getScoreName());
                assertEquals(a[i].score, b[i].score, 1e-6 * Math.abs(a[i].score), "the same calibrated score with or without maps");
            }
        }
    }

    @Test
    void changedPixelStatisticsAreRefused() throws IOException {
        Path copy = tmp.resolve("copy");
        Path dir = TestModels.detector();
        Files.createDirectories(copy);
        for (String f : new String[] {ModelDirectory.WEIGHTS, ModelDirectory.MODEL_JSON, ModelDirectory.PIXEL_STATS}) {
            Files.copy(dir.resolve(f), copy.resolve(f));
        }
        byte[] stats = Files.readAllBytes(copy.resolve(ModelDirectory.PIXEL_STATS));
        stats[stats.length - 5] ^= 0x40;
        Files.write(copy.resolve(ModelDirectory.PIXEL_STATS), stats);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(copy));
        assertTrue(e.getMessage().contains("sha256 of pixel-stats.safetensors"), e.getMessage());
        Files.delete(copy.resolve(ModelDirectory.PIXEL_STATS));
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> load(copy));
        assertTrue(missing.getMessage().contains("has no pixel-stats.safetensors"), missing.getMessage());
        assertFalse(Files.exists(copy.resolve(ModelDirectory.PIXEL_STATS)));
    }
}
