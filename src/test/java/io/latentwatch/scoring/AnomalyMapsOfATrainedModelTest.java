package io.latentwatch.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelFormatException;
import io.latentwatch.model.ModelMetadata;
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

    @Test
    void aForeignObjectsMapPeaksInsideItsGroundTruthBox() throws IOException {
        int n = 40;
        CameraFrame[] frames = new CameraFrame[n];
        int inside = 0;
        int regions = 0;
        try (ServedModel model = load(TestModels.detector())) {
            FrameScore[] scores = score(model, AnomalyKind.FOREIGN_OBJECT, n, frames);
            for (int i = 0; i < n; i++) {
                Rectangle box = frames[i].region();
                int[] peak = scores[i].map.peak();
                // the box is in the camera's pixels, which are the model's here; smoothing may move a peak by a pixel
                Rectangle near = new Rectangle(box.x - 1, box.y - 1, box.width + 2, box.height + 2);
                inside += near.contains(peak[0], peak[1]) ? 1 : 0;
                regions += scores[i].map.region() != null ? 1 : 0;
            }
        }
        assertTrue(inside >= 0.8 * n, inside + " of " + n + " foreign objects' maps peak inside their box");
        assertTrue(regions >= 0.5 * n, regions + " of " + n + " foreign objects have a region");
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
