package io.latentwatch.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.latentwatch.data.SyntheticDataset;
import io.latentwatch.evaluation.Evaluation;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.scoring.AnomalyScore;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training, calibration and evaluation end to end on small synthetic camera frames (32 × 32 gray, a three-layer
 * model of 8, 16, 32 channels): one model is trained for the whole class, in a few seconds.
 */
class ModelTrainerTest {

    /** Frames 0-1199 are trained on (a quarter held out to calibrate), later frames are fresh. */
    static final SyntheticCamera CAMERA = SyntheticCamera.builder().imageSize(32).channels(1).build();
    static final double FALSE_ALARM_RATE = 0.05;

    @TempDir static Path tmp;

    static Path modelDir;
    static ModelMetadata written;
    static final List<TrainingProgress> epochs = new ArrayList<>();
    static final List<String> messages = new ArrayList<>();

    /** Its 3 channels and 64 × 64 stand in: the options take the camera's. */
    static final DipVaeConfig SMALL_MODEL = TrainingOptions.DEFAULT_MODEL.toBuilder().latentDim(8).hiddenDims(8, 16, 32).build();

    static TrainingOptions.Builder small() {
        return TrainingOptions.builder()
                .optEpochs(8)
                .optBatchSize(32)
                .optLearningRate(3e-3f)
                .optModel(SMALL_MODEL)
                .optDevice("cpu")
                .optValidationFraction(0.25)
                .optFalseAlarmRate(FALSE_ALARM_RATE);
    }

    @BeforeAll
    static void train() throws Exception {
        modelDir = tmp.resolve("model");
        ProgressListener recorder = new ProgressListener() {
            @Override
            public void message(String line) {
                messages.add(line);
            }

            @Override
            public void epoch(TrainingProgress p) {
                epochs.add(p);
            }
        };
        written = ModelTrainer.train(small().optDataSpec("camera 32x32 gray, frames 0-1199").build(),
                new SyntheticDataset(CAMERA, 0, 1200), modelDir, recorder);
    }

    @Test
    void trainingLowersTheLoss() {
        assertEquals(8, epochs.size());
        TrainingProgress first = epochs.get(0);
        TrainingProgress last = epochs.get(epochs.size() - 1);
        assertTrue(last.total() < 0.6 * first.total(), "loss " + first.total() + " -> " + last.total());
        assertTrue(last.validationMse() < first.validationMse(), "validation mse " + first.validationMse() + " -> " + last.validationMse());
        assertTrue(last.learningRate() < first.learningRate(), "the schedule decays the learning rate");
        assertTrue(last.framesPerSecond() > 0);
    }

    @Test
    void writesModelDirectoryWithCalibrationSummaryAndImages() throws Exception {
        for (String f : new String[] {ModelDirectory.MODEL_JSON, ModelDirectory.WEIGHTS, TrainedModel.RECONSTRUCTIONS_PNG, TrainedModel.SAMPLES_PNG}) {
            assertTrue(Files.size(modelDir.resolve(f)) > 0, f);
        }
        ModelMetadata meta = ModelDirectory.readMetadata(modelDir);
        assertEquals(written.sha256(), meta.sha256());
        assertEquals(1, meta.version());
        JsonObject c = meta.calibration();
        assertEquals(io.latentwatch.scoring.AnomalyScore.DEFAULT, meta.scoreName());
        assertTrue(Double.isFinite(meta.threshold()));
        assertEquals(1 - FALSE_ALARM_RATE, c.get("quantile").getAsDouble(), 1e-9);
        assertEquals(300, c.get("frames").getAsInt());
        assertEquals(8, c.getAsJsonObject("latents").getAsJsonArray("mean").size());
        assertEquals(16, c.getAsJsonObject("posterior").getAsJsonArray("precision").size());
        JsonObject t = meta.training();
        assertEquals(900, t.get("train_frames").getAsInt());
        assertEquals(8, t.get("epochs").getAsInt());
        assertEquals(1, t.get("seed").getAsLong());
        assertEquals("camera 32x32 gray, frames 0-1199", t.get("dataset").getAsString());
        assertEquals(8, t.getAsJsonArray("history").size());
        for (String k : new String[] {"total", "recons", "kld", "dip_offdiag", "dip_diag"}) {
            assertTrue(Double.isFinite(t.getAsJsonObject("final_loss").get(k).getAsDouble()), k);
        }
        assertTrue(t.get("frames_per_second").getAsDouble() > 0);
        assertTrue(t.get("duration_seconds").getAsDouble() > 0);
        assertEquals(32, meta.config().imageSize(), "the camera's size, a multiple of 8");
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("calibrated")), String.join("\n", messages));
    }

    @Test
    void calibratedThresholdGivesAboutTheTargetFalseAlarmRateOnFreshNormalFrames() throws Exception {
        NormalisedFrames fresh = NormalisedFrames.load(new SyntheticDataset(CAMERA, 10_000, 1000), 1, 32);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(modelDir, manager);
            try (BatchScorer scorer = BatchScorer.forModel(loaded, Device.cpu(), DataType.FLOAT32)) {
                long above = 0;
                for (FrameScore s : Calibrator.scoreAll(scorer, fresh)) {
                    above += s.score > loaded.metadata.threshold() ? 1 : 0;
                }
                double rate = above / 1000.0;
                // 300 calibration frames: the threshold's own false-alarm rate has a standard deviation of about 0.013
                assertTrue(rate > 0.01 && rate < 0.10, "false-alarm rate on fresh normal frames " + rate + ", target " + FALSE_ALARM_RATE);
            }
        }
    }

    @Test
    void evaluationSeparatesInjectedAnomalies() throws Exception {
        SyntheticCamera anomalous = SyntheticCamera.builder().imageSize(32).channels(1).anomalyRate(1)
                .optAnomalyKinds(AnomalyKind.BLANK, AnomalyKind.OVEREXPOSED, AnomalyKind.NOISE_BURST, AnomalyKind.MISSING_PART).build();
        NormalisedFrames normal = NormalisedFrames.load(new SyntheticDataset(CAMERA, 20_000, 300), 1, 32);
        NormalisedFrames bad = NormalisedFrames.load(new SyntheticDataset(anomalous, 20_000, 300), 1, 32);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Evaluation.Report r = Evaluation.run(ModelDirectory.read(modelDir, manager), Device.cpu(), DataType.FLOAT32, normal, bad);
            StringBuilder byLabel = new StringBuilder();
            r.recallByLabel().forEach((k, c) -> byLabel.append(k).append(' ').append(c[0]).append('/').append(c[1]).append(' '));
            assertTrue(r.auroc() > 0.9, "AUROC " + r.auroc() + ", others " + r.otherAuroc() + ", recall " + byLabel);
            assertTrue(r.aupr() > 0.9, "AUPR " + r.aupr());
            assertEquals(300, r.normalFrames());
            assertEquals(4, r.recallByLabel().size(), r.recallByLabel().keySet().toString());
            assertEquals(300, r.recallByLabel().values().stream().mapToLong(c -> c[1]).sum());
            assertTrue(r.otherAuroc().containsKey("mse") && r.otherAuroc().containsKey("kl"), r.otherAuroc().toString());
        }
    }

    @Test
    void gateRecalibratorRefitsTheLatentStatistics() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(modelDir, manager);
            FrameScore[] heldOut;
            FrameScore[] fresh;
            try (BatchScorer mse = new BatchScorer(loaded.model, Device.cpu(), DataType.FLOAT32, io.latentwatch.model.MemoryLayout.NHWC,
                    io.latentwatch.scoring.AnomalyScore.mse(), BatchScorer.mapsOf(loaded))) {
                heldOut = Calibrator.scoreAll(mse, NormalisedFrames.load(new SyntheticDataset(CAMERA, 30_000, 600), 1, 32));
                fresh = Calibrator.scoreAll(mse, NormalisedFrames.load(new SyntheticDataset(CAMERA, 40_000, 1000), 1, 32));
            }
            JsonObject serving = loaded.metadata.calibration();
            JsonObject c = Calibrator.recalibrator().recalibrate(serving, heldOut, FALSE_ALARM_RATE);
            assertEquals(serving.get("score"), c.get("score"));
            assertEquals(300, c.get("frames").getAsInt(), "the threshold comes from the half not fitted to");
            assertEquals(300, c.getAsJsonObject("latents").get("frames").getAsInt());
            assertEquals(300, c.getAsJsonObject("posterior").get("frames").getAsInt());
            io.latentwatch.scoring.AnomalyScore score = io.latentwatch.scoring.AnomalyScore.fromCalibration(c, 8);
            double threshold = c.get("threshold").getAsDouble();
            long above = java.util.Arrays.stream(fresh).filter(f -> score.score(f) > threshold).count();
            assertTrue(above / 1000.0 > 0.01 && above / 1000.0 < 0.12, "false-alarm rate " + above / 1000.0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Calibrator.recalibrator().recalibrate(serving, java.util.Arrays.copyOf(heldOut, 10), FALSE_ALARM_RATE));
            assertEquals("score \"map-topk+posterior-mahalanobis\" needs at least 16 held-out frames to refit its latent statistics, got 10",
                    e.getMessage());
            // the map's region threshold is refitted on the held-out maps; without maps a map score cannot be
            double region = c.getAsJsonObject("map").get("threshold").getAsDouble();
            assertTrue(region > 0 && region != serving.getAsJsonObject("map").get("threshold").getAsDouble(), c.get("map").toString());
            FrameScore[] withoutMaps = java.util.Arrays.stream(heldOut).map(f -> new FrameScore(f.mse, f.kl, f.score, f.mu, f.logVar))
                    .toArray(FrameScore[]::new);
            e = assertThrows(IllegalArgumentException.class, () -> Calibrator.recalibrator().recalibrate(serving, withoutMaps, FALSE_ALARM_RATE));
            assertEquals("score \"map-topk+posterior-mahalanobis\" needs the candidate's anomaly maps of the held-out frames", e.getMessage());
            // map-contrast keeps the serving tails (1 − rate/2 quantiles, which held-out frames cannot measure) and takes a
            // threshold of its own from the held-out frames
            JsonObject contrastServing = serving.deepCopy();
            contrastServing.addProperty("score", AnomalyScore.MAP_CONTRAST);
            contrastServing.remove(ThresholdRecalibrator.MEDIAN); // the median of the other score
            JsonObject cc = Calibrator.recalibrator().recalibrate(contrastServing, heldOut, FALSE_ALARM_RATE);
            assertEquals(contrastServing.get("score_scales"), cc.get("score_scales"));
            assertEquals(600, cc.get("frames").getAsInt());
            AnomalyScore contrast = AnomalyScore.fromCalibration(cc, 8);
            double contrastThreshold = cc.get("threshold").getAsDouble();
            long contrastAbove = java.util.Arrays.stream(fresh).filter(f -> contrast.score(f) > contrastThreshold).count();
            assertTrue(contrastAbove / 1000.0 > 0.01 && contrastAbove / 1000.0 < 0.12, "map-contrast false-alarm rate " + contrastAbove / 1000.0);
            JsonObject mseCalibration = io.latentwatch.model.ModelMetadata.uncalibrated();
            assertEquals("mse", Calibrator.recalibrator().recalibrate(mseCalibration, heldOut, 0.1).get("score").getAsString());
        }
    }

    @Test
    void tooFewImagesAndBadOptionsAreRefusedWithOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelTrainer.fit(small().build(), new SyntheticDataset(CAMERA, 0, 2), null, ProgressListener.NONE));
        assertEquals("training needs at least 3 readable images (2 to train on, 1 to calibrate), got 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optEpochs(0).build());
        assertEquals("epochs must be at least 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optBatchSize(1).build());
        assertEquals("batch size must be at least 2 (the DIP term needs a covariance), got 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optScoreName("ssim").build());
        assertEquals("unknown score \"ssim\" (known: map-topk+posterior-mahalanobis, map-contrast, map-topk, map-max, mse+posterior-mahalanobis, posterior-mahalanobis, mse+mahalanobis, mahalanobis, mse)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optAnomalyMap("l1").build());
        assertEquals("anomaly map must be l2, ssim or none, got l1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optAnomalyMap("none").optScoreName(AnomalyScore.MAP_TOPK).build());
        assertEquals("score map-topk needs an anomaly map (not --anomaly-map none)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small().optMapTopK(0).build());
        assertEquals("map top-k share must be in (0, 1], got 0.0", e.getMessage());
    }

    @Test
    void aLearningRateThatBlowsUpStopsTrainingWithOneLine() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ModelTrainer.fit(small().optEpochs(2).optLearningRate(1e30f).build(), new SyntheticDataset(CAMERA, 0, 400), null,
                        ProgressListener.NONE));
        // 300 training frames: 9 steps of 32, read back together (the loss is checked once per upload of batches)
        assertTrue(e.getMessage().matches("training diverged at epoch 1, by step 9 \\(loss (NaN|-?Infinity)\\); try a lower learning rate than 1\\.0E30"),
                e.getMessage());
    }

    @Test
    void autoImageSizeRoundsUpToTheModelsStride() {
        TrainingOptions o = TrainingOptions.builder().build();
        assertEquals(32, o.resolveConfig(1, 28).imageSize());
        assertEquals(64, o.resolveConfig(3, 64).imageSize());
        assertEquals(64, o.resolveConfig(3, 0).imageSize(), "mixed sizes");
        assertEquals(3, o.resolveConfig(3, 28).inChannels());
        TrainingOptions gray = TrainingOptions.builder().optModel(TrainingOptions.DEFAULT_MODEL.toBuilder().inChannels(1).build())
                .optChannelsFromData(false).build();
        assertEquals(1, gray.resolveConfig(3, 64).inChannels());
        assertEquals(32, gray.resolveConfig(3, 28).imageSize(), "the size still from the data");
        DipVaeConfig deep = TrainingOptions.DEFAULT_MODEL.toBuilder().hiddenDims(8, 8, 8, 8, 8, 8, 8).imageSize(128).build();
        assertEquals(128, TrainingOptions.builder().optModel(deep).build().resolveConfig(1, 0).imageSize(), "mixed: the model's own side");
        assertEquals(256, TrainingOptions.builder().optModel(deep).build().resolveConfig(1, 200).imageSize());
        DipVaeConfig exact = TrainingOptions.DEFAULT_MODEL.toBuilder().inChannels(1).imageSize(16).build();
        assertEquals(exact, TrainingOptions.builder().optModel(exact).optImageSizeFromData(false).optChannelsFromData(false).build()
                .resolveConfig(3, 64));
    }
}
